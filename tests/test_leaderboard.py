"""The static leaderboard: pages, escaping of untrusted metadata, significance marks, rank intervals."""
from __future__ import annotations

import base64
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.report.leaderboard import build_leaderboard, dataset_board
from harness.report.leaderboard.pages import dataset_file, escape_json, measure_files, safe_url, system_file
from harness.report.leaderboard.score_cache import ScoreCache
from harness.stats import compare_submissions
from harness.stats.all_pairs import pair_index
from harness.submissions import PairRecord, Submission

DATASET = "xquad-r"  # a registered dataset (the gate refuses others); its data is never looked up here
MOIR = ("xquad-r/de-de", "xquad-r/en-en", "xquad-r/el-el", "xquad-r/es-es")
CLIR = ("xquad-r/de-en", "xquad-r/en-de", "xquad-r/el-en")
PAIRS = MOIR + CLIR
EVIL_MEASURE = "x</script><script>alert(3)</script>"


def no_data(folder) -> Path:
    """An empty data folder: no dataset's data is found there (the toy query ids are no dataset's)."""
    empty = Path(folder) / "no-data"
    empty.mkdir(parents=True, exist_ok=True)
    return empty


def build(root, out, **options):
    """The site of ``root`` with no dataset data (so each pair's N is the largest count held)."""
    return build_leaderboard(root, out, data_dir=no_data(Path(out).parent), **options)


def make_submission(root, name, scores, **meta) -> Submission:
    """A submission holding ``pair -> measure -> query id -> value`` and extra ``meta`` fields."""
    submission = Submission.open_or_create(root, name, {"model": name, "k": "</script><b>"}, f"harness eval --model {name}")
    submission.meta.update(meta)
    for pair, per_query in scores.items():
        pair_id = PairId.parse(pair)
        means = {m: float(np.mean(list(v.values()))) for m, v in per_query.items()}
        record = PairRecord(pair, pair_id.setting, means, len(next(iter(per_query.values()))))
        submission.add_pair(pair_id, record, SimpleNamespace(per_query=per_query), None)
    return submission


def toy_scores(seed, shift=0.0, pairs=PAIRS, n=60, measures=("AP", "R@10")):
    rng = np.random.default_rng(seed)
    base = np.random.default_rng(99).random(n)
    return {
        pair: {m: {f"q{i:03d}": float(np.clip(base[i] * 0.6 + shift + rng.normal(0, 0.05), 0, 1)) for i in range(n)} for m in measures}
        for pair in pairs
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("subs")
    make_submission(root, "bm25", toy_scores(1))
    make_submission(root, "better", toy_scores(2, shift=0.3), url="https://example.org/x?a=1&b=2", training={"languages": ["de", "en"]})
    make_submission(root, "same", toy_scores(3))
    make_submission(
        root, "evil", toy_scores(4),
        description="<script>alert(1)</script> & friends",
        authors="<b>Mallory</b>",
        url="https://x.org/\"><script>alert(5)</script>",
        paper='"><img src=x onerror=alert(2)>',
        commands=["harness eval </pre><script>alert(4)</script>"],
        training={"languages": ["de"], "data": "<i>web</i>"},
    )
    make_submission(root, "partial", toy_scores(5, pairs=MOIR[:2] + CLIR))
    out = tmp_path_factory.mktemp("site")
    built = build(root, out)
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    data = {f"data/{p.name}": p.read_text(encoding="utf-8") for p in (out / "data").iterdir()}
    return SimpleNamespace(root=root, out=out, built=built, pages=pages, data=data)


class Cells(HTMLParser):
    """Every ``td`` of every ``table.board``: (table id, row system, td attributes). A cell carries no
    column of its own: its ``data-col`` is the header's above it (the header row's n-th ``th[data-col]``)."""

    def __init__(self):
        super().__init__()
        self.table = self.system = None
        self.cells = []
        self.columns: list[str] = []
        self.at = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table, self.columns = attrs.get("id"), []
        elif tag == "th" and self.table and attrs.get("data-col") not in (None, "system"):
            self.columns.append(attrs["data-col"])
        elif tag == "tr" and "data-system" in attrs:
            self.system, self.at = attrs["data-system"], 0
        elif tag == "td" and self.table and self.system:
            self.cells.append((self.table, self.system, {**attrs, "data-col": self.columns[self.at]}))
            self.at += 1


def board_cells(page: str, measure: str = "AP"):
    parser = Cells()
    parser.feed(page)
    return {(s, a["data-col"]): a for t, s, a in parser.cells if t == f"table-{measure}"}


def column_index(page: str, measure: str, **wanted) -> str:
    table = page[page.index(f'id="table-{measure}"'):]
    for match in re.finditer(r"<th [^>]*data-col=\"(\d+)\"[^>]*>", table):
        tag = match.group(0)
        if all(f'data-{k}="{v}"' in tag for k, v in wanted.items()):
            return match.group(1)
    raise AssertionError(f"no column {wanted}")


def test_every_page_is_written(site):
    names = {"index.html", "compare.html", "dataset-xquad-r.html", "dataset-xquad-r.R_10.html"} | {
        f"system-{n}.html" for n in ("bm25", "better", "same", "evil", "partial")
    }
    assert names == set(site.pages)
    assert set(site.built.systems) == {"bm25", "better", "same", "evil", "partial"}
    assert site.built.baseline == "bm25" and site.built.datasets == [DATASET]
    assert site.built.notes == [f"{DATASET}: 7 of 7 pair(s): the pair's full query count N is not known (its data was not found; "
                                "--data-dir names the data folder), so N is the largest count among the systems holding the pair"]
    index = site.pages["index.html"]
    assert 'href="dataset-xquad-r.html"' in index and 'href="system-evil.html"' in index
    assert "paired t-test" in index and "Holm" in index and 'data-field="harness_version"' in index


def test_values_appear_in_the_dataset_table(site):
    page = site.pages["dataset-xquad-r.html"]
    cells = board_cells(page)
    better = Submission.load(site.root / "better")
    col = column_index(page, "AP", langs="de-en")
    assert float(cells[("better", col)]["data-value"]) == pytest.approx(better.meta["pairs"]["xquad-r/de-en"]["measures"]["AP"], abs=1e-12)
    moir = column_index(page, "AP", kind="mean", setting="moir")
    expected = np.mean([better.meta["pairs"][p]["measures"]["AP"] for p in MOIR])
    assert float(cells[("better", moir)]["data-value"]) == pytest.approx(expected, abs=1e-12)
    # one page a measure: the first measure's at the dataset's name, the others beside it, each linked from the others
    assert 'id="table-R@10"' not in page and 'id="table-R@10"' in site.pages["dataset-xquad-r.R_10.html"]
    assert 'data-file="dataset-xquad-r.R_10.html"' in page and 'data-file="dataset-xquad-r.html"' in site.pages["dataset-xquad-r.R_10.html"]
    r10 = site.pages["dataset-xquad-r.R_10.html"]
    col = column_index(r10, "R@10", langs="de-en")
    assert float(board_cells(r10, "R@10")[("better", col)]["data-value"]) == pytest.approx(better.meta["pairs"]["xquad-r/de-en"]["measures"]["R@10"], abs=1e-12)


def test_measure_pages_are_named_by_their_measure_or_else_by_position():
    assert measure_files("xquad-r", ["AP", "R@10", "nDCG@10"]) == {
        "AP": "dataset-xquad-r.html", "R@10": "dataset-xquad-r.R_10.html", "nDCG@10": "dataset-xquad-r.nDCG_10.html",
    }
    assert measure_files("a/b", ["P@1", "P_1"]) == {"P@1": "dataset-a~b.html", "P_1": "dataset-a~b.m2.html"}


def test_significance_marks_where_a_system_is_clearly_better(site):
    page = site.pages["dataset-xquad-r.html"]
    cells = board_cells(page)
    moir = column_index(page, "AP", kind="mean", setting="moir")
    pair = column_index(page, "AP", langs="de-de")
    assert cells[("better", moir)].get("data-mark") == "better"
    assert cells[("better", pair)].get("data-mark") == "better"
    assert "data-mark" not in cells[("bm25", moir)]  # the baseline carries no mark
    assert "▲" in page


def test_rank_intervals_count_the_systems_significantly_better_and_worse(site):
    page = site.pages["dataset-xquad-r.html"]
    cells = board_cells(page)
    moir = column_index(page, "AP", kind="mean", setting="moir")  # 'partial' lacks MoIR pairs: 4 ranked
    assert cells[("better", moir)]["data-rank"] == "1 1"  # best and worst rank
    for name in ("bm25", "same", "evil"):  # only 'better' beats them; they tie among themselves
        assert cells[(name, moir)]["data-rank"] == "2 4", name
    assert ">2–4</span>" in page


def test_a_system_missing_pairs_has_blanks_and_no_mean_where_it_misses_one(site):
    page = site.pages["dataset-xquad-r.html"]
    cells = board_cells(page)
    moir = column_index(page, "AP", kind="mean", setting="moir")
    clir = column_index(page, "AP", kind="mean", setting="clir")
    assert "data-value" not in cells[("partial", moir)]
    assert "data-value" in cells[("partial", clir)]
    assert "data-value" not in cells[("partial", column_index(page, "AP", langs="el-el"))]


def test_untrusted_metadata_is_text_never_markup(site):
    for name, page in site.pages.items():
        assert "<script>alert" not in page, name
        assert "<img src=x" not in page, name
        assert "<b>Mallory" not in page and "<i>web" not in page, name
        assert 'href="javascript:' not in page.lower(), name
    evil = site.pages["system-evil.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in evil
    assert "https://x.org/&#34;&gt;&lt;script&gt;alert(5)&lt;/script&gt;" in evil  # not a safe link: shown, as text
    assert "&lt;/pre&gt;&lt;script&gt;alert(4)&lt;/script&gt;" in evil
    assert 'href="https://example.org/x?a=1&amp;b=2"' in site.pages["system-better.html"]


def test_every_script_element_is_ours(site):
    for name, page in site.pages.items():
        opened = re.findall(r"<script[^>]*>", page)
        closed = page.count("</script>")
        assert len(opened) == closed, name
        assert all(tag in ("<script>", '<script type="application/json" id="data-xquad-r">') for tag in opened), (name, opened)


def test_embedded_json_cannot_close_its_script_and_reads_back(site):
    page = site.pages["compare.html"]
    match = re.search(r'<script type="application/json" id="data-xquad-r">(.*?)</script>', page, re.S)
    blob = match.group(1)
    assert "<" not in blob and ">" not in blob and "&" not in blob
    data = json.loads(blob)
    assert EVIL_MEASURE not in [m["name"] for m in data["measures"]]  # (this fixture has no evil measure)
    assert set(data["systems"]) == set(site.built.systems)
    s, c, m = len(data["systems"]), len(data["columns"]), len(data["measures"])
    assert len(data["values"][0]) == s * c and len(base64.b64decode(data["marks"])) == -(-(s * (s - 1) // 2 * m * c) // 4)
    assert escape_json(json.dumps({"x": "</script><!--&"})) == '{"x": "\\u003c/script\\u003e\\u003c!--\\u0026"}'


def test_a_measure_name_with_markup_is_left_out_and_its_note_escaped(tmp_path):
    make_submission(tmp_path / "s", "bm25", toy_scores(1))
    make_submission(tmp_path / "s", "other", toy_scores(2, measures=(EVIL_MEASURE, "AP")))
    built = build(tmp_path / "s", tmp_path / "site")
    assert built.systems == ["bm25"] and built.notes[0].startswith("other: left out (")
    for page in (tmp_path / "site").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert(3)" not in text, page.name
    assert "&lt;/script&gt;&lt;script&gt;alert(3)" in (tmp_path / "site" / "index.html").read_text()
    assert not (tmp_path / "site" / "system-other.html").exists()


def test_links_are_relative_and_nothing_is_fetched(site):
    files = set(site.pages) | set(site.data)
    for name, page in site.pages.items():
        assert "cdn" not in page.lower(), name
        assert not re.search(r"<link\b|<script[^>]*\bsrc=|@import|url\(", page), name
        for attribute, target in re.findall(r'\b(href|src)="([^"]*)"', page):
            if target.startswith("https://example.org/"):
                assert name == "system-better.html"
                continue
            assert attribute == "href" and not target.startswith(("/", "http:", "https:", "//")), (name, target)
            path, _, anchor = target.partition("#")
            if path:
                assert path in files, (name, target)
            else:  # a place on the same page
                assert f'id="{anchor}"' in page, (name, target)


def test_zero_shot_flags_follow_the_training_languages(site):
    evil = site.pages["system-evil.html"]
    assert 'data-lang="de" data-zero-shot="false"' in evil
    assert 'data-lang="en" data-zero-shot="true"' in evil
    assert 'data-lang="en" data-zero-shot="unknown"' in site.pages["system-bm25.html"]
    assert "not stated" in site.pages["system-bm25.html"]
    assert "harness eval --model bm25" in site.pages["system-bm25.html"]


def test_the_tests_are_harness_compare_with_the_t_test(site):
    names = ["bm25", "better", "same", "evil"]
    subs = [Submission.load(site.root / n) for n in names]
    scores = {s.name: ScoreCache(None).read(s, DATASET, []) for s in subs}
    board = dataset_board(DATASET, scores, baseline="bm25")
    against = compare_submissions(subs, baseline="bm25", test="t", resamples=10)
    all_pairs = compare_submissions(subs, test="t", family=["systems"], resamples=10)
    for m, measure in enumerate(board.measures):
        for c, column in enumerate(board.columns):
            for s, name in enumerate(names):
                assert board.values[m, s, c] == pytest.approx(against.value(name, measure.name, column.key), abs=1e-12)
                if name != "bm25":
                    expected = against.test(name, "bm25", measure.name, column.key)
                    assert board.baseline_p_adjusted[m, s, c] == pytest.approx(expected.p_adjusted, rel=1e-9)
                for o in range(s + 1, len(names)):
                    k, _ = pair_index(s, o, len(names))
                    expected = all_pairs.test(name, names[o], measure.name, column.key)
                    assert board.p[m, k, c] == pytest.approx(expected.p, rel=1e-9)
                    assert board.p_adjusted[m, k, c] == pytest.approx(expected.p_adjusted, rel=1e-9)
                    assert board.difference[m, k, c] == pytest.approx(expected.mean_difference, abs=1e-12)
    pairwise = compare_submissions([subs[1], subs[0]], baseline="bm25", test="t", resamples=10)  # better vs bm25
    k, _ = pair_index(0, 1, len(names))
    for m, measure in enumerate(board.measures):
        for c, column in enumerate(board.columns):
            expected = pairwise.test("better", "bm25", measure.name, column.key)
            assert board.comparison_p_adjusted[m, k, c] == pytest.approx(expected.p_adjusted, rel=1e-9)
    assert not np.allclose(board.comparison_p_adjusted[:, k, :], board.p_adjusted[:, k, :])  # not the all-pairs family


def test_a_rebuild_reads_the_cache_and_a_changed_file_is_read_again(site, tmp_path):
    strip = lambda text: re.sub(r"<dd>\d{4}-\d\d-\d\dT[^<]*</dd>", "", text)  # noqa: E731
    again = build(site.root, site.out)
    assert again.cache == "score cache: 5 hit(s), 0 miss(es); gate cache: 5 hit(s), 0 miss(es)"
    assert sorted(p.name for p in again.pages) == sorted(site.pages)
    assert all(strip(p.read_text()) == strip(site.pages[p.name]) for p in again.pages)
    uncached = build(site.root, tmp_path / "uncached", cache=False)
    assert uncached.cache == "caches: off" and not (tmp_path / "uncached" / ".cache").exists()
    assert all(strip(p.read_text()) == strip(site.pages[p.name]) for p in uncached.pages)

    copy = tmp_path / "subs"
    shutil.copytree(site.root, copy)
    first = build(copy, tmp_path / "changed")
    per_query = copy / "better" / "pairs" / "xquad-r" / "de-de" / "per-query.tsv"
    lines = per_query.read_text().splitlines()
    fields = lines[1].split("\t")
    lines[1] = "\t".join([fields[0], "0.0", *fields[2:]])  # 'better' loses its first query's AP on de-de
    per_query.write_text("\n".join(lines) + "\n")
    # meta.json is kept in step with the file (the gate checks the recorded aggregate)
    meta = json.loads((copy / "better" / "meta.json").read_text())
    meta["pairs"]["xquad-r/de-de"]["measures"]["AP"] = float(np.mean([float(line.split("\t")[1]) for line in lines[1:]]))
    (copy / "better" / "meta.json").write_text(json.dumps(meta))
    changed = build(copy, tmp_path / "changed")
    # the gate parses each file once and hands the tables to the score cache: no file is parsed twice
    assert first.cache == "score cache: 5 hit(s), 0 miss(es); gate cache: 0 hit(s), 5 miss(es)"
    assert changed.cache == "score cache: 5 hit(s), 0 miss(es); gate cache: 4 hit(s), 1 miss(es)"
    page = (tmp_path / "changed" / "dataset-xquad-r.html").read_text()
    column = column_index(page, "AP", langs="de-de")
    expected = np.mean([float(line.split("\t")[1]) for line in lines[1:]])
    assert float(board_cells(page)[("better", column)]["data-value"]) == pytest.approx(expected, abs=1e-12)


def test_file_names_and_urls_are_checked():
    assert dataset_file("mmarco/v2") == "dataset-mmarco~v2.html"
    assert system_file("a.b+c") == "system-a.b+c.html"
    with pytest.raises(HarnessError):
        system_file("../x")
    assert safe_url("https://x.org/a") == "https://x.org/a"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:x", "http://x.org/\"onmouseover=1", "data:text/html,x", " https://x.org", None, 3):
        assert safe_url(bad) is None


def test_an_unknown_baseline_is_an_error_and_no_baseline_gives_rank_intervals_only(site, tmp_path):
    with pytest.raises(HarnessError, match="baseline 'nope'"):
        build(site.root, tmp_path / "x", baseline="nope")
    built = build(site.root, tmp_path / "y", baseline=None)
    page = (tmp_path / "y" / "dataset-xquad-r.html").read_text()
    assert built.baseline is None and ' data-mark="' not in page and 'data-rank="1 ' in page


def test_identical_systems_get_p_one_and_share_the_rank_interval(tmp_path):
    scores = toy_scores(1)
    make_submission(tmp_path, "bm25", scores)
    make_submission(tmp_path, "copy", scores)
    make_submission(tmp_path, "near", {p: {m: {q: v + (1e-9 if q == "q000" else 0.0) for q, v in x.items()} for m, x in d.items()} for p, d in scores.items()})
    subs = [Submission.load(tmp_path / n) for n in ("bm25", "copy", "near")]
    board = dataset_board(DATASET, {s.name: ScoreCache(None).read(s, DATASET, []) for s in subs}, baseline="bm25")
    k, _ = pair_index(0, 1, 3)
    assert np.all(board.p[:, k, :] == 1.0) and np.all(board.difference[:, k, :] == 0.0)
    reference = compare_submissions(subs, test="t", resamples=10)
    k, _ = pair_index(0, 2, 3)
    assert board.p[0, k, 0] == pytest.approx(reference.test("bm25", "near", "AP", board.columns[0].key).p, rel=1e-9)
    assert np.array_equal(board.best_rank[:, 0, :], board.best_rank[:, 1, :])
    assert np.array_equal(board.worst_rank[:, 0, :], board.worst_rank[:, 1, :])  # (a constant 1e-9 gain over pairs is "significant" to a t-test)


def test_the_cli_writes_the_site_and_reports_bad_input_in_one_line(site, tmp_path, capsys):
    from harness.cli import main

    empty = ["--data-dir", str(no_data(tmp_path))]
    assert main(["leaderboard", "--submissions", str(site.root), "--out", str(tmp_path / "cli"), "--quiet", *empty]) == 0
    out = capsys.readouterr().out
    assert "9 pages" in out and "5 systems on 1 dataset(s), 156 tests" in out and (tmp_path / "cli" / "index.html").is_file()
    assert main(["leaderboard", "--submissions", str(site.root), "--out", str(tmp_path / "x"), "--baseline", "nope", *empty]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness: error: --baseline nope: no such submission") and "\n" not in err
    assert main(["leaderboard", "--submissions", str(tmp_path / "missing"), "--out", str(tmp_path / "y")]) == 2
    assert "no such submissions folder" in capsys.readouterr().err
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()

"""The leaderboard's index answers "who is best where": per dataset and setting, the systems in
order with their mean, its interval, their rank interval and their coverage, and a plot of it;
a system page shows each pair's exact command and the harness that ran it."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from scipy import stats

from harness.datasets.pairs import PairId
from harness.report.leaderboard.command_view import command_lines
from harness.report.leaderboard.svg_plot import nice_ticks
from harness.submission_commands import pair_command
from harness.submissions import Submission
from tests.test_leaderboard import (  # noqa: F401
    CLIR,
    DATASET,
    MOIR,
    board_cells,
    build,
    column_index,
    make_submission,
    site,
    toy_scores,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class Standings(HTMLParser):
    """Rows of every ``table.standings``: (measure, setting) -> [row attributes + ``tbody`` class]."""

    def __init__(self):
        super().__init__()
        self.table, self.body, self.rows = None, None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "standings" in (attrs.get("class") or ""):
            self.table = (attrs["data-dataset"], attrs["data-measure"], attrs["data-setting"])
            self.rows[self.table] = []
            # what every row of the table shares; a row says its queries held only where not all
            self.shared = {"data-pairs-total": attrs["data-pairs-total"], "data-queries-total": attrs["data-queries-total"]}
        elif tag == "tbody" and self.table:
            self.body = attrs.get("class") or "main"
        elif tag == "tr" and self.table and "data-system" in attrs:
            self.rows[self.table].append({**self.shared, "data-queries-held": self.shared["data-queries-total"], **attrs, "body": self.body})

    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None


def standings(page: str) -> dict:
    parser = Standings()
    parser.feed(page)
    return parser.rows


def test_each_setting_lists_the_systems_best_first_with_the_dataset_pages_means_and_ranks(site):  # noqa: F811
    rows = standings(site.pages["index.html"])
    cells = board_cells(site.pages["dataset-xquad-r.html"])
    for setting, ranked in (("moir", 4), ("clir", 5)):  # 'partial' holds 2 of the 4 MoIR pairs
        table = rows[(DATASET, "AP", setting)]
        main = [r for r in table if r["body"] == "main"]
        assert len(main) == ranked and main[0]["data-system"] == "better"
        means = [float(r["data-mean"]) for r in main]
        assert means == sorted(means, reverse=True)
        col = column_index(site.pages["dataset-xquad-r.html"], "AP", kind="mean", setting=setting)
        for r in main:
            cell = cells[(r["data-system"], col)]
            assert float(r["data-mean"]) == float(cell["data-value"])
            assert f'{r["data-rank"]} {r["data-worst"]}' == cell["data-rank"]
            assert (r["data-pairs-held"], r["data-pairs-total"]) == (str(len({"moir": MOIR, "clir": CLIR}[setting])),) * 2
    some = [r for r in rows[(DATASET, "AP", "moir")] if r["body"] == "some-pairs"]
    assert [(r["data-system"], r["data-pairs-held"], r["data-pairs-total"]) for r in some] == [("partial", "2", "4")]
    assert "data-rank" not in some[0] and "data-low" not in some[0]
    held = Submission.load(site.root / "partial").meta["pairs"]
    assert float(some[0]["data-mean"]) == pytest.approx(np.mean([held[p]["measures"]["AP"] for p in MOIR[:2]]), abs=1e-12)


def test_a_setting_means_interval_is_the_t_interval_over_the_systems_own_pair_values(site):  # noqa: F811
    rows = standings(site.pages["index.html"])
    for name in ("better", "bm25"):
        values = [Submission.load(site.root / name).meta["pairs"][p]["measures"]["R@10"] for p in CLIR]
        low, high = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
        row = next(r for r in rows[(DATASET, "R@10", "clir")] if r["data-system"] == name)
        assert (float(row["data-low"]), float(row["data-high"])) == pytest.approx((low, high), abs=1e-12)


def test_a_one_pair_setting_is_ranked_on_its_pair_with_an_interval_over_queries(tmp_path):
    pairs = ("xquad-r/de-de", "xquad-r/en-en", "xquad-r/de-xx")
    make_submission(tmp_path / "s", "bm25", toy_scores(1, pairs=pairs))
    make_submission(tmp_path / "s", "better", toy_scores(2, shift=0.3, pairs=pairs))
    build(tmp_path / "s", tmp_path / "site")
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    rows = standings(page)[(DATASET, "AP", "mlir")]
    assert [r["data-system"] for r in rows] == ["better", "bm25"]
    scores = Submission.load(tmp_path / "s" / "better").per_query_table(PairId.parse("xquad-r/de-xx"))
    values = scores.values[:, scores.measures.index("AP")]
    assert len(values) == 60
    low, high = stats.t.interval(0.95, 59, loc=values.mean(), scale=stats.sem(values))
    assert (float(rows[0]["data-low"]), float(rows[0]["data-high"])) == pytest.approx((low, high), abs=1e-12)
    assert "one pair, 2 ranked" in page and "over 60 queries" in page


def test_the_plot_is_inline_svg_with_one_mark_per_system_and_setting_ordered_by_value(site):  # noqa: F811
    page = site.pages["index.html"]
    block = re.search(r'<div class="measure-block" data-measure="AP">(.*?)</figure>', page, re.DOTALL).group(1)
    marks = re.findall(r'<g class="mark" data-setting="(\w+)" data-system="([^"]+)" data-value="([^"]+)">.*?<(circle cx|rect x|path d)="M?([\d.]+)', block, re.DOTALL)
    rows = standings(page)
    expected = {(r["data-system"], s) for (_, m, s), table in rows.items() if m == "AP" for r in table if r["body"] == "main"}
    assert {(system, setting) for setting, system, *_ in marks} == expected
    for setting in ("moir", "clir"):
        placed = sorted((float(value), float(x)) for s, _, value, _, x in marks if s == setting)
        assert [x for _, x in placed] == sorted(x for _, x in placed)  # higher AP, further right
    assert "<svg" in block and "<script" not in block and "http" not in block.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_ticks_are_round_numbers_spanning_the_values():
    assert nice_ticks(0.11, 0.83) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(1510.0, 1620.0) == pytest.approx([1500, 1550, 1600, 1650])
    assert nice_ticks(0.5, 0.5)[0] <= 0.5 <= nice_ticks(0.5, 0.5)[-1]


def test_a_command_wraps_between_words_keeping_an_option_with_its_value():
    text = "harness eval --model bm25 --dataset xquad-r --quiet --param k1=0.9\nsecond  line"
    lines = command_lines(text)
    assert lines[0] == ["harness", "eval", "--model bm25", "--dataset xquad-r", "--quiet", "--param k1=0.9"]
    assert "\n".join(" ".join(line) for line in lines) == text


def with_command(submission: Submission, command: str, commit: str | None) -> Submission:
    """``submission`` as if ``command`` had stored every pair with the harness at ``commit``."""
    pin = {"harness_commit": commit, "harness_dirty": True if commit else None}
    submission.meta.update(command=command, commands=[command], **pin)
    for record in submission.meta["pairs"].values():
        record.update(command=command, **pin)
    submission.save()
    return submission


def test_each_pair_shows_its_exact_command_and_the_harness_that_ran_it(tmp_path):
    root = tmp_path / "s"
    bm25 = with_command(make_submission(root, "bm25", toy_scores(1)), "harness eval --model bm25 --dataset xquad-r --data-dir data", COMMIT)
    dense = with_command(make_submission(root, "dense", toy_scores(2)), "harness eval --model dense --dataset xquad-r --name dense", None)
    build(root, tmp_path / "site")
    page = (tmp_path / "site" / "system-bm25.html").read_text(encoding="utf-8")
    version = bm25.meta["harness_version"]
    assert f"harness {version}, commit {COMMIT[:12]} with uncommitted changes" in page and f"<code>{COMMIT}</code>" in page
    assert f'data-copy-text="pip install harness=={version}"' in page
    for pair in bm25.meta["pairs"]:
        command = pair_command(bm25.meta, pair)
        assert f"--dataset xquad-r --pairs {pair.split('/')[1]} " in command  # BM25: narrowed to the pair
        assert page.count(f'data-copy-text="{html.escape(command)}"') == 2  # the table's button and the list's
        assert f'id="cmd-{pair.replace("/", "~")}"' in page
    dense_page = (tmp_path / "site" / "system-dense.html").read_text(encoding="utf-8")
    assert dense_page.count('data-copy-text="harness eval --model dense --dataset xquad-r --name dense"') == 1 + 2 * len(dense.meta["pairs"])
    assert "commit not recorded" in dense_page

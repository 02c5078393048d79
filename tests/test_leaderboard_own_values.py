"""A system's numbers on the leaderboard are its own: another submission never changes them.

Partial submissions (n of a pair's N queries) are marked "n of N" and kept out of rankings,
rank intervals and baseline marks; paired tests run on the queries both systems hold, with n stated.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness.datasets.pairs import PairId
from harness.report.leaderboard import build_leaderboard, dataset_board
from harness.report.leaderboard.score_cache import ScoreCache
from harness.stats import compare_submissions
from harness.stats.all_pairs import pair_index
from harness.submissions import Submission
from tests.test_leaderboard import DATASET, MOIR, PAIRS, board_cells, build, column_index, make_submission, toy_scores

COMPLETE = ("bm25", "better", "same")


def only(scores, keep):
    """``scores`` restricted to the query ids ``keep`` (a predicate) on the pairs ``scores`` holds."""
    return {pair: {m: {q: v for q, v in by_query.items() if keep(q)} for m, by_query in measures.items()} for pair, measures in scores.items()}


def read_site(out: Path):
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    blob = re.search(r'id="data-xquad-r">(.*?)</script>', pages["compare.html"], re.S).group(1)
    return SimpleNamespace(pages=pages, cells=board_cells(pages["dataset-xquad-r.html"]), data=json.loads(blob))


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The same three complete systems alone, then beside a one-query, a non-overlapping and a half submission."""
    root = tmp_path_factory.mktemp("subs")
    make_submission(root, "bm25", toy_scores(1))
    make_submission(root, "better", toy_scores(2, shift=0.3))
    make_submission(root, "same", toy_scores(3))
    alone = read_site(build(root, tmp_path_factory.mktemp("alone") / "site").out_dir)
    de_de = {"xquad-r/de-de": {m: {"q000": 1.0} for m in ("AP", "R@10")}}
    make_submission(root, "one-query", de_de)
    make_submission(root, "disjoint", {"xquad-r/de-de": {m: {f"z{i}": 0.5 for i in range(5)} for m in ("AP", "R@10")}})
    make_submission(root, "half", only(toy_scores(4, shift=0.3, pairs=MOIR + PAIRS[4:5]), lambda q: int(q[1:]) < 30))
    built = build(root, tmp_path_factory.mktemp("beside") / "site")
    return SimpleNamespace(root=root, alone=alone, beside=read_site(built.out_dir), built=built)


def test_another_submission_changes_no_value_rank_or_mark_of_the_complete_systems(sites):
    page = sites.beside.pages["dataset-xquad-r.html"]
    compared = 0
    for (system, col), attributes in sites.alone.cells.items():
        after = sites.beside.cells[(system, col)]
        for key in ("data-value", "data-rank", "data-mark", "class"):
            assert after.get(key) == attributes.get(key), (system, col, key)
        compared += 1
    assert compared == 3 * (len(PAIRS) + 2)
    de_de = column_index(page, "AP", langs="de-de")
    own = Submission.load(sites.root / "bm25").per_query(PairId.parse("xquad-r/de-de"))
    assert float(sites.beside.cells[("bm25", de_de)]["data-value"]) == pytest.approx(np.mean(list(own["AP"].values())), abs=1e-12)


def test_a_one_query_submission_is_partial_never_bold_never_ranked(sites):
    page = sites.beside.pages["dataset-xquad-r.html"]
    de_de = column_index(page, "AP", langs="de-de")
    cell = sites.beside.cells[("one-query", de_de)]
    assert cell["data-value"] == "1.0" and cell["data-partial"] == "1 of 60"
    assert "data-rank" not in cell and "data-mark" not in cell and "best" not in cell["class"]
    assert ">1.0000<span class=\"coverage\">1 of 60</span>" in page
    assert "best" in sites.beside.cells[("better", de_de)]["class"]  # the best complete value stays bold
    assert "one-query is partial on 1 pair(s) (xquad-r/de-de: 1 of 60 queries)" in page


def test_a_submission_sharing_no_query_keeps_the_column_for_everyone(sites):
    page = sites.beside.pages["dataset-xquad-r.html"]
    de_de = column_index(page, "AP", langs="de-de")
    assert sites.beside.cells[("disjoint", de_de)]["data-partial"] == "5 of 60"
    assert all("data-value" in sites.beside.cells[(s, de_de)] for s in COMPLETE)
    data = sites.beside.data
    systems = data["systems"]
    d, c = systems.index("disjoint"), int(de_de)
    from tests.test_leaderboard_scale import codes_of  # here: that module imports this one's fixtures

    codes = codes_of(data)
    for other in range(len(systems)):
        if other != d:
            k, _ = pair_index(d, other, len(systems))
            assert codes[k, 0, c] == 0 and not [r for r in data["shared"] if r[:3] == [k, 0, c]]


def test_partial_setting_means_are_own_macro_averages_kept_out_of_the_ranking(sites):
    page = sites.beside.pages["dataset-xquad-r.html"]
    moir = column_index(page, "AP", kind="mean", setting="moir")
    cell = sites.beside.cells[("half", moir)]
    half = Submission.load(sites.root / "half")
    expected = np.mean([half.meta["pairs"][p]["measures"]["AP"] for p in MOIR])
    assert float(cell["data-value"]) == pytest.approx(expected, abs=1e-12)
    assert cell["data-partial"] == "120 of 240" and "data-rank" not in cell
    assert [sites.beside.cells[(s, moir)]["data-rank"].split(" ")[0] for s in COMPLETE] == ["2", "1", "2"]  # 3 ranked, as alone
    system = sites.beside.pages["system-half.html"]
    assert 'data-partial="30 of 60"' in system and "partial (120 of 240 queries): not ranked" in system


def test_paired_tests_with_a_partial_system_run_on_the_shared_queries_and_state_n(sites):
    names = list(sites.beside.data["systems"])
    subs = {n: Submission.load(sites.root / n) for n in names}
    board = dataset_board(DATASET, {n: ScoreCache(None).read(s, DATASET, []) for n, s in subs.items()}, baseline="bm25")
    h, b = names.index("half"), names.index("bm25")
    k, sign = pair_index(h, b, len(names))
    # the board tests a setting mean only where both hold all its pairs: compare's --common-pairs
    reference = compare_submissions([subs["half"], subs["bm25"]], baseline="bm25", test="t", resamples=10, common_pairs=True)
    for c, column in enumerate(board.columns):
        expected = reference.test("half", "bm25", "AP", column.key)
        if expected is None:
            continue
        assert board.p[0, k, c] == pytest.approx(expected.p, rel=1e-9), column.key
        assert sign * board.difference[0, k, c] == pytest.approx(expected.mean_difference, abs=1e-12)
        assert board.n[0, k, c] == expected.n == (30 if not column.is_average else len(column.pairs))
        assert board.values[0, h, c] == pytest.approx(reference.value("half", "AP", column.key), abs=1e-12)
    c = [col.key for col in board.columns].index("xquad-r/de-de")
    assert board.partial(h, c) and (board.held[h, c], board.full[c]) == (30, 60)
    assert np.isnan(board.p_adjusted[0, k, c]) and board.mark(0, h, c) == 0 and board.best_rank[0, h, c] == 0
    compare = sites.beside.pages["compare.html"]
    assert "n of N queries" in compare and "on the queries both systems hold" in compare


def test_a_baseline_mark_carries_its_adjusted_p_for_the_words_shown_on_hover(sites):
    # the words (difference, p, what the test ran on) are the page script's: test_leaderboard_browser_tips
    page = sites.beside.pages["dataset-xquad-r.html"]
    de_de, moir = column_index(page, "AP", langs="de-de"), column_index(page, "AP", kind="mean", setting="moir")
    for column in (de_de, moir):
        cell = sites.beside.cells[("better", column)]
        assert "title" not in cell and 0 <= float(cell["data-p"]) <= 1 and cell["data-mark"] in ("better", "worse")
    assert "data-p" not in sites.beside.cells[("bm25", de_de)]


def test_a_known_query_count_makes_every_holder_of_fewer_queries_partial(tmp_path):
    make_submission(tmp_path, "bm25", toy_scores(1, pairs=MOIR[:2]))
    make_submission(tmp_path, "other", toy_scores(2, pairs=MOIR[:2]))
    subs = [Submission.load(tmp_path / n) for n in ("bm25", "other")]
    scores = {s.name: ScoreCache(None).read(s, DATASET, []) for s in subs}
    board = dataset_board(DATASET, scores, full={MOIR[0]: 70, MOIR[1]: 60}, baseline="bm25")
    columns = [c.key for c in board.columns]
    first, mean = columns.index(MOIR[0]), columns.index("xquad-r/moir-mean")
    assert list(board.full[[mean, first]]) == [130, 70] and board.partial(0, first) and board.partial(1, mean)
    assert not board.best_rank[:, :, [first, mean]].any() and not board.baseline_mark[:, :, [first, mean]].any()
    assert board.best_rank[0, :, columns.index(MOIR[1])].all()  # complete on en-en: ranked there
    assert board.n[0, 0, first] == 60 and not any("not known" in note for note in board.notes)
    assert any("not known" in note for note in dataset_board(DATASET, scores, baseline="bm25").notes)


@pytest.mark.realdata
def test_real_bm25_keeps_its_numbers_beside_a_one_query_submission(tmp_path, real_data_dir):
    """The issue's case: one valid submission holding one query of xquad-r/de-de moved bm25's
    de-de AP from 0.7559 to 1.0 and its MoIR mean from 0.7742 to 0.7964."""
    source = Path(__file__).parents[1] / "submissions" / "bm25"
    root = tmp_path / "subs"
    moir = sorted(p for p in json.loads((source / "meta.json").read_text())["pairs"] if p.startswith("xquad-r/") and PairId.parse(p).setting == "moir")
    shutil.copytree(source, root / "bm25", ignore=shutil.ignore_patterns("run.trec.gz"))
    meta = json.loads((root / "bm25" / "meta.json").read_text())
    meta["pairs"] = {p: meta["pairs"][p] for p in moir}  # the MoIR pairs suffice for the MoIR mean
    (root / "bm25" / "meta.json").write_text(json.dumps(meta))
    first = Submission.load(root / "bm25").per_query_table(PairId.parse("xquad-r/de-de")).query_ids[0]
    make_submission(root, "one-query", {"xquad-r/de-de": {m: {first: 1.0} for m in ("AP", "R@1", "R@10")}})
    built = build_leaderboard(root, tmp_path / "site", data_dir=real_data_dir, cache=False)
    assert built.systems == ["bm25", "one-query"] and len(built.notes) == 1
    assert built.notes[0].startswith("xquad-r: one-query is partial on 1 pair(s) (xquad-r/de-de: 1 of 1,190 queries)")
    page = (tmp_path / "site" / "dataset-xquad-r.html").read_text()
    cells = board_cells(page)
    de_de, mean = column_index(page, "AP", langs="de-de"), column_index(page, "AP", kind="mean", setting="moir")
    assert float(cells[("bm25", de_de)]["data-value"]) == pytest.approx(0.7559, abs=5e-5)
    assert float(cells[("bm25", de_de)]["data-value"]) == pytest.approx(meta["pairs"]["xquad-r/de-de"]["measures"]["AP"], abs=1e-12)
    assert float(cells[("bm25", mean)]["data-value"]) == pytest.approx(0.7742, abs=5e-5)
    assert cells[("one-query", de_de)]["data-partial"] == "1 of 1,190"

"""Build the site: read every submission, test every dataset, render every page, write atomically."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import __version__
from harness.atomic import atomic_write_text
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.output_paths import check_output_dir
from harness.progress import progress as progress_bar
from harness.report.leaderboard.board import DatasetBoard, dataset_board
from harness.report.leaderboard.command_view import pair_commands, submission_pin
from harness.report.leaderboard.compare_view import compare_blocks
from harness.report.leaderboard.downloads import (
    DATASET_FIELDS,
    SITE_FILE,
    SYSTEM_FIELDS,
    Table,
    dataset_table,
    index_table,
    site_json,
    system_record,
    system_table,
)
from harness.report.leaderboard.gate_cache import GateCache
from harness.report.leaderboard.index_view import index_view
from harness.report.leaderboard.pages import (
    checked_data_file,
    checked_file,
    dataset_file,
    environment,
    measure_files,
    system_file,
)
from harness.report.leaderboard.score_cache import ScoreCache
from harness.report.leaderboard.standings import SettingStandings, dataset_standings
from harness.report.leaderboard.views import dataset_view, system_view
from harness.stats.corrections import CORRECTIONS
from harness.submissions import META_FILE, Submission

DEFAULT_BASELINE = "bm25"
TEST_TITLE = "paired t-test"


@dataclass
class LeaderboardSite:
    """What :func:`build_leaderboard` wrote: the pages, what they cover, and where the time went."""

    out_dir: Path
    pages: list[Path]
    systems: list[str]
    datasets: list[str]
    baseline: str | None
    tests: int
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    bytes_written: int = 0
    cache: str = ""
    downloads: list[Path] = field(default_factory=list)
    boards: dict[str, DatasetBoard] = field(default_factory=dict, repr=False)
    submissions: list[Submission] = field(default_factory=list, repr=False)
    index_table: Table | None = field(default=None, repr=False)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"

    def page_table(self, page: str) -> Table:
        """The table a page's download links hold (``index``, ``dataset-ID[.MEASURE]``, ``system-NAME``:
        the page's file name without ``.html``), as rows; the page's script builds the same from its markup."""
        if page == "index" and self.index_table is not None:
            return self.index_table
        for dataset, board in self.boards.items():
            for m, file in _measure_pages(dataset, board).items():
                if file[: -len(".html")] == page:
                    return dataset_table(page, board, m)
        for submission in self.submissions:
            if system_file(submission.name)[: -len(".html")] == page:
                return system_table(page, submission, self.boards)
        raise HarnessError(f"no page {page!r} in this site")

    def summary(self) -> str:
        """One line: pages, systems, datasets, tests and time."""
        return (
            f"{len(self.pages)} pages and {len(self.downloads)} data file(s) ({self.bytes_written / 1e6:.1f} MB) for {len(self.systems)} systems on "
            f"{len(self.datasets)} dataset(s), {self.tests:,} tests, {self.timings['total']:.1f} s; open {self.index}"
        )


def build_leaderboard(
    submissions_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    baseline: str | None = DEFAULT_BASELINE,
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
    digits: int = 4,
    heatmap_png: bool = False,
    cache: bool = True,
    progress: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
) -> LeaderboardSite:
    """Write the leaderboard of every submission under ``submissions_dir`` to ``out_dir``.

    ``baseline`` names the system the ▲/▼ marks compare with on each dataset it holds; the default
    ``bm25`` is used where present (rank intervals only where absent); ``None`` shows no baseline.
    ``heatmap_png`` embeds matplotlib heatmaps of the pair matrices (about a second each) instead of
    HTML ones. ``cache`` keeps parsed per-query scores and the gate's verdicts in ``out_dir/.cache``
    so that a rebuild parses and checks only the submissions that changed. Every folder passes :func:`harness.validation.check_submission`
    first (``data_dir``: where it finds each pair's queries); an invalid one is left out, its
    reasons in :attr:`LeaderboardSite.notes` and on the index page.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    if correction not in CORRECTIONS:
        raise HarnessError(f"unknown correction {correction!r}: expected one of {', '.join(CORRECTIONS)}")
    if not 0 < alpha < 1 or not 0 < confidence < 1:
        raise HarnessError(f"alpha ({alpha}) and confidence ({confidence}) must be between 0 and 1")
    source, out = Path(submissions_dir), Path(out_dir)
    if not source.is_dir():
        raise HarnessError(f"{source}: no such submissions folder")
    check_output_dir(out, "--out")
    notes: list[str] = []
    mark = time.perf_counter()
    gate = GateCache(out / ".cache" / "gate" if cache else None, data_dir)
    scores = ScoreCache(out / ".cache" / "scores" if cache else None)
    submissions, full = load_submissions(source, notes, gate, scores)
    timings["check submissions"] = time.perf_counter() - mark
    if not submissions and not notes:
        raise HarnessError(f"{source}: no submission found (expected folders holding {META_FILE})")
    names = [s.name for s in submissions]
    if baseline is not None and baseline != DEFAULT_BASELINE and baseline not in names:
        why = next((note for note in notes if note.startswith(f"{baseline}: left out")), None)
        raise HarnessError(why or f"baseline {baseline!r} is not among the submissions ({', '.join(names)})")
    if baseline not in names:
        baseline = None
    datasets = sorted({PairId.parse(p).dataset for s in submissions for p in s.meta["pairs"]})

    mark = time.perf_counter()
    held = {
        dataset: {s.name: tables for s in submissions if (tables := scores.read(s, dataset, notes))}
        for dataset in progress_bar(datasets, progress, "reading scores")
    }
    timings["read scores"] = time.perf_counter() - mark

    mark = time.perf_counter()
    boards: dict[str, DatasetBoard] = {
        d: dataset_board(d, held[d], full=full, baseline=baseline, correction=correction, alpha=alpha, confidence=confidence)
        for d in progress_bar(datasets, progress, "testing")
        if held[d]
    }
    timings["tests"] = time.perf_counter() - mark
    notes += [f"{dataset}: {note}" for dataset, board in boards.items() for note in board.notes]
    standings = {d: dataset_standings(board, held[d], confidence) for d, board in boards.items()}

    index = index_table(standings)
    mark = time.perf_counter()
    pages, data = _render(submissions, boards, standings, index, baseline, correction, alpha, confidence, digits, heatmap_png, notes, progress)
    timings["render"] = time.perf_counter() - mark

    mark = time.perf_counter()
    written, downloads, size = [], [], 0
    for files, check, into in ((pages, checked_file, written), (data, checked_data_file, downloads)):
        for name, text in files.items():
            target = out / check(name)
            atomic_write_text(target, text)
            into.append(target)
            size += len(text.encode("utf-8"))
    timings["write"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    tests = sum(b.tests for b in boards.values())
    cache_note = (
        f"score cache: {scores.hits} hit(s), {scores.misses} miss(es); gate cache: {gate.hits} hit(s), {gate.misses} miss(es)"
        if cache else "caches: off"
    )
    return LeaderboardSite(
        out, written, names, list(boards), baseline, tests, timings, notes, size, cache_note, downloads, boards, submissions, index
    )


def _render(
    submissions, boards, standings: dict[str, list[SettingStandings]], index: Table, baseline, correction, alpha, confidence, digits, heatmap_png, notes, progress
) -> tuple[dict[str, str], dict[str, str]]:
    """Every page's text by file name, and the site's data file's (``data/leaderboard.json``)."""
    env = environment()
    correction_title = CORRECTIONS[correction][0]
    info = {
        "harness_version": __version__,
        # the newest result's time, not the clock: the same submissions give the same site, byte for byte
        "results_as_of": max((str(s.meta.get("updated") or s.meta.get("created") or "") for s in submissions), default=""),
        "test": TEST_TITLE,
        "correction": correction_title,
        "alpha": alpha,
        "confidence": confidence,
        "confidence_text": f"{confidence * 100:g}%",
        "baseline": baseline,
        "baseline_family": f"{correction_title} over systems × columns × measures, one family per dataset",
        "all_pairs_family": f"{correction_title} over every pair of systems, one family per dataset, column and measure",
        "comparison_family": f"{correction_title} over the columns × measures of the two systems on the dataset (one family per pair of systems)",
        "seed": "none (the t-test does not resample)",
    }
    links = {"datasets": [(d, dataset_file(d)) for d in boards], "systems": [(s.name, system_file(s.name)) for s in submissions]}
    system_rows = [
        {
            "name": s.name, "file": system_file(s.name), "pairs": len(s.meta["pairs"]),
            "model": s.meta["system"].get("model") if isinstance(s.meta.get("system"), dict) else None,
            "datasets": sorted({PairId.parse(p).dataset for p in s.meta["pairs"]}),
        }
        for s in submissions
    ]
    pages = {
        "index.html": env.get_template("index.html.j2").render(
            info=info, links=links, boards=boards, notes=notes, title="Leaderboard", system_rows=system_rows,
            view=index_view(boards, standings, digits, confidence), table=index, site_file=SITE_FILE,
        )
    }
    for dataset, board in boards.items():
        view = dataset_view(board, digits)
        files = list(_measure_pages(dataset, board).values())  # a page per view table: the shown measures, in order
        for table, file in zip(view["tables"], files):
            measure_view = {**view, "tables": [table], "measure_pages": [(t["measure"], f) for t, f in zip(view["tables"], files)]}
            pages[file] = env.get_template("dataset.html.j2").render(
                info=info, links=links, view=measure_view, title=f"{dataset} {table['measure']} · Leaderboard",
                table=Table(file[: -len(".html")], DATASET_FIELDS),
            )
    systems = {}
    for submission in progress_bar(submissions, progress, "system pages"):
        page = system_file(submission.name)
        commands = pair_commands(submission.meta, list(submission.meta["pairs"]))
        pin = submission_pin(submission.meta)
        systems[submission.name] = system_record(submission, commands, pin)
        view = system_view(submission, boards, digits, heatmap_png, TEST_TITLE, commands, pin)
        pages[page] = env.get_template("system.html.j2").render(
            info=info, links=links, view=view, title=f"{submission.name} · Leaderboard",
            table=Table(page[: -len(".html")], SYSTEM_FIELDS),
        )
    pages["compare.html"] = env.get_template("compare.html.j2").render(
        info=info, links=links, boards=boards, data=compare_blocks(boards), title="Compare two systems · Leaderboard"
    )
    return pages, {SITE_FILE: site_json(info, index, boards, systems)}


def _measure_pages(dataset: str, board: DatasetBoard) -> dict[int, str]:
    """The page of each measure a dataset shows (:meth:`DatasetBoard.shown_measures`), by the measure's index."""
    shown = board.shown_measures()
    return dict(zip(shown, measure_files(dataset, [board.measures[m].name for m in shown]).values()))


def load_submissions(source: Path, notes: list[str], gate: GateCache, scores: ScoreCache) -> tuple[list[Submission], dict[str, int]]:
    """Every valid submission folder under ``source`` (the others are left out with a note giving
    their reasons) and, per pair, its number of queries where the gate knows it. Tables the gate
    parses go straight to the score cache, so no file is parsed twice."""
    out, full = [], {}
    folders = sorted(p for p in source.iterdir() if p.is_dir() and os.path.lexists(p / META_FILE))
    for folder, check in zip(folders, gate.check_all(folders, scores)):  # fresh verdicts' tables go to the score cache
        if not check.valid:
            notes.append(f"{folder.name}: left out ({check.reasons()})")
            continue
        out.append(check.submission)
        full.update({pair: total for pair, (_, total) in check.coverage.items() if total is not None})
    return out, full

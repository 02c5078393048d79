"""The comparison of submissions: their pairs and queries, paired tests, corrections, effects.

A comparison is a table: rows are systems, columns are language pairs grouped by setting with a
macro average per setting, one table per measure. The pairs are every pair any system holds (a
system without one has an empty cell), or with ``common_pairs`` only those every system holds.
A system's value is its own: the mean of its per-query scores on a pair, the macro average of its
values on the setting's pairs it holds (``pairs_averaged`` says how many). Every cell where two
systems meet is tested: each system against a baseline, or every unordered pair of systems once,
on the queries both systems hold (n is stated with each test); a setting's average is tested on
the pairs of the setting both hold, on the per-pair means (``pair-means``: the macro averages
printed, where the two hold the same queries and pairs) or on the per-query scores of those pairs
pooled (``pooled``). A pair held by one system is not tested. Corrections apply within a declared
family: the tests that share everything except the dimensions named (``systems``, ``pairs``,
``measures``). Each test states the smallest p it could give on its n units and whether that,
corrected, could be significant at all (:mod:`harness.stats.attainable`).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness import __version__
from harness.datasets.pairs import SETTINGS, PairId
from harness.errors import HarnessError
from harness.evaluation.measures import Measure, parse_measure
from harness.progress import progress as progress_bar
from harness.stats.attainable import floor_rule, smallest_adjusted_p, smallest_p
from harness.stats.comparison_result import Column, Comparison, TestResult
from harness.stats.corrections import CORRECTIONS, get_correction
from harness.stats.effects import effect_sizes
from harness.stats.equivalence import tost_p
from harness.stats.pair_sums import PairSums
from harness.stats.paired_tests import get_test
from harness.stats.randomization import enumerates_exactly
from harness.stats.shared_scores import SharedScores
from harness.submissions import Submission

FAMILY_DIMENSIONS = ("systems", "pairs", "measures")
AVERAGE_TESTS = ("pair-means", "pooled")


def compare_submissions(
    submissions: Sequence[Submission],
    *,
    baseline: str | None = None,
    datasets: Sequence[str] | None = None,
    measures: Sequence[str] | None = None,
    test: str = "randomization",
    correction: str = "holm",
    alpha: float = 0.05,
    family: Sequence[str] = FAMILY_DIMENSIONS,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    margin: float | None = None,
    average_test: str = "pair-means",
    common_pairs: bool = False,
    progress: bool = False,
) -> Comparison:
    """Compare submissions: values, paired tests, corrections and effects, on every pair any of them
    holds (``common_pairs``: only on the pairs all of them hold).

    ``baseline`` names one of the submissions (each other system is tested against it); without it
    every unordered pair of systems is tested once. ``datasets`` keeps pairs of those dataset ids
    (or exact pair ids). ``family`` names the dimensions a correction runs over.
    """
    paired_test = get_test(test)
    get_correction(correction)
    _check_options(submissions, baseline, alpha, family, resamples, seed, confidence, margin, average_test)
    names = [s.name for s in submissions]
    pairs, dropped = _shared_pairs(submissions, datasets) if common_pairs else _all_pairs(submissions, datasets)
    scores = SharedScores(submissions, pairs)
    chosen = _measures(submissions, pairs, measures)
    columns = _columns(pairs)
    comparisons = [(s, baseline) for s in names if s != baseline] if baseline else [
        (a, b) for i, a in enumerate(names) for b in names[i + 1 :]
    ]
    systems = [(names.index(a), names.index(b)) for a, b in comparisons]

    values: dict[tuple[str, str, str], float] = {}
    averaged: dict[tuple[str, str, str], int] = {}
    raw: list[dict[str, Any]] = []
    for column in progress_bar(columns, progress, "testing", unit="column"):
        present = [m for m in chosen if scores.has_column(column, m.name)]
        for measure in present:
            for index, name in enumerate(names):
                values[(name, measure.name, column.key)] = scores.own_value(column, measure.name, index)
                averaged[(name, measure.name, column.key)] = len(scores.held_pairs(column, measure.name, index))
        cells = [
            (measure, a, b, held)
            for measure in present for a, b in systems if (held := scores.held_pairs(column, measure.name, a, b))
        ]
        groups = _groups(scores, column, cells, average_test)
        raw += _tests(names, cells, groups, paired_test, column, resamples, seed, confidence, margin)
    tests, families = _correct(raw, correction, alpha, family, columns, (test, resamples))
    protocol = {
        "test": test,
        "test_title": paired_test.title,
        "p_value": paired_test.p_value,
        "exact_columns": sorted({t.column for t in tests if test == "randomization" and enumerates_exactly(t.n, resamples)}),
        "resamples": resamples if paired_test.resampling else None,
        "seed": seed,
        "correction": correction,
        "correction_title": CORRECTIONS[correction][0],
        "family": list(family),
        "families": families,
        "tests": len(tests),
        "alpha": alpha,
        "confidence": confidence,
        "interval": f"percentile bootstrap, {resamples} resamples of queries, seed {seed}",
        "effect_size": "d_z = mean difference / sd of the differences (ddof=1)",
        "equivalence_margin": margin,
        "equivalence_test": None if margin is None else f"TOST (two one-sided paired t-tests), margin ±{margin}, p adjusted like the tests",
        "average_test": average_test,
        "pairs": "common: the pairs every system holds" if common_pairs else "union: every pair any system holds; empty where a system does not hold it",
        "values": "each system's own mean over the queries it holds; a setting mean: the macro average of its own values on the setting's pairs it holds (pairs_averaged)",
        "paired_on": "the queries both systems hold (n of each test); a setting mean: the pairs of the setting both hold (tested_pairs), "
        "for pair-means per pair both means over the queries both hold",
        "smallest_p": floor_rule(test, correction) + "; can_be_significant: that is below alpha",
        "comparisons": "baseline" if baseline else "all-pairs",
        "harness_version": __version__,
    }
    notes = _notes(dropped, scores, [(names[a], names[b]) for a, b in systems], common_pairs)
    notes += _resolution_note(paired_test, resamples, correction, alpha, families)
    return Comparison(names, baseline, chosen, columns, values, tests, protocol, scores.counts, notes, averaged)


def _groups(scores: SharedScores, column: Column, cells: list[tuple[Measure, int, int, tuple[str, ...]]], average_test: str):
    """The tests of one column as matrices of units x tests: ``(cells, differences, pairs)``, per set
    of pairs tested and number of units. A matrix is tested at once: one pass over the resampling
    plan, which depends only on n and the seed. Where the systems hold the same queries of the
    pairs, the cells tested on those pairs are one matrix of :class:`PairSums` (the systems' units
    side by side: tests and intervals then come from fewer products); otherwise ``pairs`` is None."""
    by_pairs: dict[tuple[str, ...], list[int]] = {}
    for k, cell in enumerate(cells):
        by_pairs.setdefault(cell[3], []).append(k)
    groups: list[tuple[list[int], np.ndarray, PairSums | None]] = []
    for held, members in by_pairs.items():
        involved = sorted({system for k in members for system in cells[k][1:3]})
        measures = list(dict.fromkeys(cells[k][0].name for k in members))
        units = [scores.units(column, measure, average_test, involved, held) for measure in measures]
        if all(u is not None for u in units):
            width, local = len(involved), {system: j for j, system in enumerate(involved)}
            first = np.array([local[cells[k][1]] + measures.index(cells[k][0].name) * width for k in members])
            second = np.array([local[cells[k][2]] + measures.index(cells[k][0].name) * width for k in members])
            pairs = PairSums(np.concatenate(units, axis=1), first, second)
            groups.append((members, pairs.differences, pairs))
            continue
        blocks = {k: scores.differences(column, cells[k][0].name, cells[k][1], cells[k][2], average_test, held) for k in members}
        by_size: dict[int, list[int]] = {}
        for k, block in blocks.items():
            by_size.setdefault(block.size, []).append(k)
        groups += [(same, np.stack([blocks[k] for k in same], axis=1), None) for same in by_size.values()]
    return groups


def _tests(names, cells, groups, paired_test, column: Column, resamples: int, seed: int, confidence: float, margin: float | None) -> list[dict[str, Any]]:
    """The raw tests of one column, in the order of ``cells``, from its :func:`_groups`."""
    rows: list[dict[str, Any]] = [{} for _ in cells]
    for members, differences, pairs in groups:
        direction = np.array([cells[k][0].higher_is_better for k in members])
        p = paired_test.p_values(differences, resamples, seed, pairs)
        effects = effect_sizes(differences, direction, resamples, seed, confidence, pairs)
        equivalence = tost_p(differences, margin) if margin else None
        for j, k in enumerate(members):
            measure, a, b, held = cells[k]
            rows[k] = {
                "system": names[a], "other": names[b], "measure": measure.name, "column": column.key,
                "n": differences.shape[0], "tested_pairs": len(held),
                "p": float(p[j]),
                "mean_difference": float(effects.mean_difference[j]),
                "ci_low": float(effects.ci_low[j]), "ci_high": float(effects.ci_high[j]),
                "d_z": float(effects.d_z[j]),
                "wins": int(effects.wins[j]), "ties": int(effects.ties[j]), "losses": int(effects.losses[j]),
                "better": bool(_oriented(effects.mean_difference[j], measure) > 0),
                "tost_p": None if equivalence is None else float(equivalence[j]),
            }
    return rows


def _shared_pairs(submissions: Sequence[Submission], datasets: Sequence[str] | None) -> tuple[list[PairId], dict[str, list[str]]]:
    """The pairs every submission holds, and per submission the pairs it holds that are left out."""
    held = _held(submissions, datasets)
    shared = set.intersection(*held)
    if not shared:
        _share_nothing(submissions, held)
    dropped = {s.name: sorted(str(p) for p in pairs - shared) for s, pairs in zip(submissions, held)}
    return _in_order(shared), {k: v for k, v in dropped.items() if v}


def _all_pairs(submissions: Sequence[Submission], datasets: Sequence[str] | None) -> tuple[list[PairId], dict[str, list[str]]]:
    """Every pair any submission holds, and per submission the pairs of those it does not hold."""
    held = _held(submissions, datasets)
    union = set.union(*held)
    if not any(sum(pair in pairs for pairs in held) > 1 for pair in union):
        _share_nothing(submissions, held)
    missing = {s.name: sorted(str(p) for p in union - pairs) for s, pairs in zip(submissions, held)}
    return _in_order(union), {k: v for k, v in missing.items() if v}


def _held(submissions: Sequence[Submission], datasets: Sequence[str] | None) -> list[set[PairId]]:
    held = [{PairId.parse(p) for p in s.meta["pairs"] if _selected(p, datasets)} for s in submissions]
    for submission, pairs in zip(submissions, held):
        if not pairs:
            wanted = f" on {', '.join(datasets)}" if datasets else ""
            raise HarnessError(f"{submission.root}: submission {submission.name!r} holds no pair{wanted}")
    return held


def _share_nothing(submissions: Sequence[Submission], held: list[set[PairId]]) -> None:
    summary = "; ".join(f"{s.name}: {_datasets_of(p)}" for s, p in zip(submissions, held))
    raise HarnessError(f"the submissions share no language pair ({summary}); choose submissions made on the same dataset")


def _in_order(pairs: set[PairId]) -> list[PairId]:
    return sorted(pairs, key=lambda p: (p.dataset, SETTINGS.index(p.setting), p.langs))


def _selected(pair: str, datasets: Sequence[str] | None) -> bool:
    return not datasets or any(pair == d or pair.startswith(d + "/") for d in datasets)


def _datasets_of(pairs: set[PairId]) -> str:
    names = sorted({p.dataset for p in pairs})
    return ", ".join(f"{d} ({sum(p.dataset == d for p in pairs)} pairs)" for d in names)


def _measures(submissions: Sequence[Submission], pairs: Sequence[PairId], requested: Sequence[str] | None) -> list[Measure]:
    """The measures requested, or every measure each submission has on some pair of the table."""
    def measures_of(submission: Submission) -> list[str]:
        held = [submission.meta["pairs"][str(p)] for p in pairs if str(p) in submission.meta["pairs"]]
        return list(dict.fromkeys(m for record in held for m in record["measures"]))

    everywhere = [m for m in measures_of(submissions[0]) if all(m in measures_of(s) for s in submissions[1:])]
    if not requested:
        if not everywhere:
            raise HarnessError("the submissions have no measure in common on their pairs")
        return [parse_measure(m) for m in everywhere]
    chosen = [parse_measure(name) for name in requested]
    for measure in chosen:
        if measure.name not in everywhere:
            have = ", ".join(everywhere) or "none"
            raise HarnessError(f"measure {measure.name!r} is not in every submission's scores (measures all of them have: {have})")
    return chosen


def _columns(pairs: Sequence[PairId]) -> list[Column]:
    columns: list[Column] = []
    groups: dict[tuple[str, str], list[PairId]] = {}
    for pair in pairs:
        groups.setdefault((pair.dataset, pair.setting), []).append(pair)
    for (dataset, setting), members in groups.items():
        columns += [Column(str(p), dataset, setting, p.langs, (str(p),)) for p in members]
        if len(members) > 1:
            columns.append(Column(f"{dataset}/{setting}-mean", dataset, setting, "mean", tuple(str(p) for p in members)))
    return columns


def _correct(raw: list[dict[str, Any]], correction: str, alpha: float, family: Sequence[str], columns: Sequence[Column], test: tuple[str, int]):
    """Adjust p-values within each family; a family is the tests sharing every dimension not named.
    ``test`` (name, resamples) gives each test's smallest possible p, adjusted the same way."""
    adjust = get_correction(correction)
    dataset_of = {c.key: c.dataset for c in columns}
    groups: dict[tuple, list[int]] = {}
    for index, row in enumerate(raw):
        key = (
            None if "systems" in family else (row["system"], row["other"]),
            # pairs of different datasets never share a family: they answer different questions
            dataset_of[row["column"]] if "pairs" in family else row["column"],
            None if "measures" in family else row["measure"],
        )
        groups.setdefault(key, []).append(index)
    adjusted = np.empty(len(raw))
    adjusted_tost = np.full(len(raw), np.nan)
    names = {}
    for key, members in groups.items():
        adjusted[members] = adjust(np.array([raw[i]["p"] for i in members]))
        if raw[members[0]]["tost_p"] is not None:
            adjusted_tost[members] = adjust(np.array([raw[i]["tost_p"] for i in members]))
        label = _family_label(key)
        names[label] = len(members)
        for i in members:
            raw[i]["family"] = label
            raw[i]["smallest_p"] = smallest_p(test[0], raw[i]["n"], test[1])
            raw[i]["can_be_significant"] = smallest_adjusted_p(raw[i]["smallest_p"], correction, len(members)) < alpha
    tests = []
    for i, row in enumerate(raw):
        has_tost = row["tost_p"] is not None
        tests.append(
            TestResult(
                **row,
                p_adjusted=float(adjusted[i]),
                significant=bool(adjusted[i] < alpha),
                tost_p_adjusted=float(adjusted_tost[i]) if has_tost else None,
                equivalent=bool(adjusted_tost[i] < alpha) if has_tost else None,
            )
        )
    return tests, names


def _family_label(key: tuple) -> str:
    systems, where, measure = key
    parts = [f"{systems[0]} vs {systems[1]}" if systems else "all systems", where, measure or "all measures"]
    return " | ".join(parts)


def _oriented(difference: float, measure: Measure) -> float:
    return difference if measure.higher_is_better else -difference


def _check_options(submissions, baseline, alpha, family, resamples, seed, confidence, margin, average_test) -> None:
    names = [s.name for s in submissions]
    if len(submissions) < 2:
        raise HarnessError("compare needs at least two submissions")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise HarnessError(f"submission {duplicates[0]!r} is given twice")
    if baseline is not None and baseline not in names:
        raise HarnessError(f"baseline {baseline!r} is not among the compared submissions ({', '.join(names)})")
    if not 0 < alpha < 1:
        raise HarnessError(f"alpha must be between 0 and 1, got {alpha}")
    if not 0 < confidence < 1:
        raise HarnessError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise HarnessError(f"the number of resamples must be positive, got {resamples}")
    if not 0 <= seed < 2**32:
        raise HarnessError(f"the seed must be an integer from 0 to 2**32 - 1, got {seed}")
    unknown = [d for d in family if d not in FAMILY_DIMENSIONS]
    if unknown or not family:
        raise HarnessError(f"bad family {','.join(family)!r}: name one or more of {', '.join(FAMILY_DIMENSIONS)}")
    if margin is not None and not 0 < margin < float("inf"):
        raise HarnessError(f"the equivalence margin must be a positive finite number, got {margin}")
    if average_test not in AVERAGE_TESTS:
        raise HarnessError(f"unknown average test {average_test!r}: expected one of {', '.join(AVERAGE_TESTS)}")


def _notes(missing: dict[str, list[str]], scores: SharedScores, compared: list[tuple[str, str]], common_pairs: bool) -> list[str]:
    notes = []
    for name, pairs in missing.items():
        shown = ", ".join(pairs[:5]) + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")
        if common_pairs:
            notes.append(f"{name}: {len(pairs)} pair(s) not held by every system left out ({shown})")
        else:
            notes.append(f"{len(pairs)} of the {len(scores.counts)} pairs are not held by {name} ({shown}): its cells there are empty")
    together = {frozenset(scores.names[i] for i in who) for who in scores.holders.values()}
    apart = [f"{a} and {b}" for a, b in compared if not any({a, b} <= held for held in together)]
    if apart:
        notes.append(f"{'; '.join(apart)} hold no pair in common: they are not tested against each other")
    differ = [
        f"{pair}: " + ", ".join(f"{n} {c}" for n, c in count["per_system"].items())
        for pair, count in scores.counts.items()
        if scores.masks[pair] is not None
    ]
    if differ:
        shown = "; ".join(differ[:3]) + (f"; and {len(differ) - 3} more" if len(differ) > 3 else "")
        notes.append(
            f"the systems hold different queries of {len(differ)} pair(s) ({shown}): each value is the system's mean over "
            "its own queries, each test runs on the queries its two systems both hold (n in --format json and csv)"
        )
    return notes


def _resolution_note(paired_test, resamples: int, correction: str, alpha: float, families: dict[str, int]) -> list[str]:
    """Say so when a resampling test cannot reach a family-wise significant p at all.

    Its smallest p is 1 / (B + 1); Holm's and Bonferroni's first step needs p < alpha / m.
    """
    if not paired_test.resampling or correction not in ("holm", "bonferroni") or not families:
        return []
    largest = max(families.values())
    if 1 / (resamples + 1) < alpha / largest:
        return []
    needed = int(np.ceil(largest / alpha))
    return [
        f"warning: with {resamples:,} resamples the smallest possible p is {1 / (resamples + 1):.1e}, not below "
        f"alpha/m = {alpha / largest:.1e} for a family of {largest:,} tests, so no test can be significant under "
        f"{CORRECTIONS[correction][0]}: use --resamples {needed:,} or more, a smaller --family, --correction bh, or --test t"
    ]

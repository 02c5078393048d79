"""Who holds a pair, and on which queries: each system's own scores, and the queries two systems share.

A system's value on a pair is the mean of its own per-query scores, whoever else holds the pair.
A paired test needs the queries both systems hold. Systems with the same query list (every
complete submission of a pair) are tested together from one matrix, as
:func:`harness.stats.all_pairs.all_pairs_t` wants; two groups with different lists are tested
across, on the queries they share. A setting's mean is tested on per-pair means: a system's own
where two systems hold the same queries of a pair, else both means over the queries they share.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class QueryGroup:
    """The holders of one pair that have the same query list: their own means and queries x systems
    scores (None once only the means are needed: see :meth:`PairHolders.light`)."""

    query_ids: tuple[str, ...]
    systems: np.ndarray  # ascending system indices
    means: np.ndarray  # each member's own mean (each column summed contiguously: the bits of ``harness compare``'s)
    scores: np.ndarray | None


@dataclass(frozen=True, eq=False)
class PairHolders:
    """One pair and measure: its holders' own scores, grouped by query list."""

    groups: list[QueryGroup]
    group_of: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_of", {int(s): g for g, group in enumerate(self.groups) for s in group.systems})

    def own(self, systems: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each of ``systems``' own mean and the number of queries it holds."""
        means, queries = np.empty(systems.size), np.empty(systems.size, dtype=int)
        for group in self.groups:
            at = np.flatnonzero(np.isin(systems, group.systems))
            means[at] = group.means[np.searchsorted(group.systems, systems[at])]
            queries[at] = len(group.query_ids)
        return means, queries

    def light(self) -> PairHolders:
        """What a setting mean's tests need of the pair once its own column is tested: the means, and
        the scores only where holders' query lists differ (those are tested on the queries they share)."""
        if len(self.groups) > 1:
            return self
        return PairHolders([QueryGroup(g.query_ids, g.systems, g.means, None) for g in self.groups])


@dataclass(frozen=True, eq=False)
class Block:
    """Units x systems scores that paired tests run on; with ``split``, only the pairs of a system
    among the first ``split`` columns and one among the others (the rest are tested elsewhere)."""

    systems: np.ndarray
    units: np.ndarray
    split: int | None = None


def pair_holders(holders: Sequence[tuple[int, Sequence[str], np.ndarray]]) -> PairHolders:
    """Group ``(system, query ids, scores)`` of one pair and measure by query list (systems ascending;
    a list object met before is not compared again: the score cache hands out one per distinct list)."""
    members_of: dict[int, list[tuple[int, np.ndarray]]] = {}  # id of a list object -> its group's members
    by_list: dict[tuple[str, ...], list[tuple[int, np.ndarray]]] = {}
    for system, query_ids, scores in holders:
        members = members_of.get(id(query_ids))
        if members is None:
            members = members_of[id(query_ids)] = by_list.setdefault(tuple(query_ids), [])
        members.append((system, scores))
    groups = []
    for query_ids, members in by_list.items():
        members.sort(key=lambda member: member[0])
        scores = np.empty((len(query_ids), len(members)), order="F")  # each system's scores contiguous
        for column, (_, values) in enumerate(members):
            scores[:, column] = values
        groups.append(QueryGroup(query_ids, np.array([s for s, _ in members], dtype=int), scores.mean(axis=0), scores))
    return PairHolders(groups)


def column_holders(parts: Sequence[PairHolders]) -> np.ndarray:
    """The systems holding every pair of a column, ascending."""
    common = set(parts[0].group_of)
    for part in parts[1:]:
        common &= set(part.group_of)
    return np.array(sorted(common), dtype=int)


def column_blocks(parts: Sequence[PairHolders], systems: np.ndarray, average: bool) -> Iterator[Block]:
    """The blocks testing every pair of ``systems`` once: per-query scores of a pair column, per-pair
    means of a setting's mean column. Two systems that share no query of some pair are not tested."""
    signatures: dict[tuple[int, ...], list[int]] = {}
    for system in systems.tolist():
        signatures.setdefault(tuple(part.group_of[system] for part in parts), []).append(system)
    keys = list(signatures)
    for a, key in enumerate(keys):
        members = np.array(signatures[key], dtype=int)
        if members.size > 1:
            yield Block(members, _units(parts, key, members, key, members[:0], average)[0])
        for other in keys[a + 1 :]:
            others = np.array(signatures[other], dtype=int)
            units = _units(parts, key, members, other, others, average)
            if units is not None:
                yield Block(np.concatenate([members, others]), np.hstack(units), members.size)


def _units(parts, key, members, other_key, others, average) -> tuple[np.ndarray, np.ndarray] | None:
    """Units of ``members`` (group ``key[p]`` of each part) and ``others`` (group ``other_key[p]``) on the
    queries both hold; None where some pair has no query in common."""
    rows_a, rows_b = [], []
    for part, g, h in zip(parts, key, other_key):
        first, second = part.groups[g], part.groups[h]
        a = _columns(first, members)
        b = _columns(second, others)
        if g == h and average:
            shared_a, shared_b = first.means[a][None, :], second.means[b][None, :]
        elif g == h:
            shared_a, shared_b = _select(first, a, members), _select(second, b, others)
        else:
            x, y = _shared_rows(first.query_ids, second.query_ids)
            if x.size == 0:
                return None
            shared_a, shared_b = first.scores[np.ix_(x, a)], second.scores[np.ix_(y, b)]
            if average:
                shared_a, shared_b = shared_a.mean(axis=0)[None, :], shared_b.mean(axis=0)[None, :]
        rows_a.append(shared_a)
        rows_b.append(shared_b)
    if len(rows_a) == 1:  # a pair column: its matrix as it is, uncopied
        return rows_a[0], rows_b[0]
    return np.vstack(rows_a), np.vstack(rows_b)


def _columns(group: QueryGroup, systems: np.ndarray) -> np.ndarray:
    return np.searchsorted(group.systems, systems)


def _select(group: QueryGroup, columns: np.ndarray, systems: np.ndarray) -> np.ndarray:
    """The group's scores of ``systems``: the matrix itself when they are all its members (the usual
    case: no copy, and the same bits as testing the matrix directly)."""
    return group.scores if systems.size == group.systems.size else np.ascontiguousarray(group.scores[:, columns])


def _shared_rows(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Row indices, in ``first``'s order, of the queries both lists hold."""
    position = {q: r for r, q in enumerate(second)}
    pairs = [(r, position[q]) for r, q in enumerate(first) if q in position]
    return np.array([r for r, _ in pairs], dtype=int), np.array([s for _, s in pairs], dtype=int)

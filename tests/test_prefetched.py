"""prefetched(): items in order, one made ahead, errors where the item was due, the source closed early."""
from __future__ import annotations

import threading

import pytest

from harness.evaluation.prefetched import prefetched, prefetching


def test_items_come_in_order_one_made_ahead() -> None:
    made: list[int] = []

    def source():
        for i in range(6):
            made.append(i)
            yield i

    seen = []
    for item in prefetched(source()):
        # while item i is used, item i + 1 may be made, never i + 2
        seen.append((item, max(made)))
    assert [item for item, _ in seen] == list(range(6))
    assert all(item <= ahead <= item + 1 for item, ahead in seen)
    assert list(prefetched([])) == []


def test_an_error_comes_where_its_item_was_due() -> None:
    def source():
        yield 1
        yield 2
        raise ValueError("third")

    got = []
    with pytest.raises(ValueError, match="third"):
        for item in prefetched(source()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_stops_the_thread_and_closes_the_source() -> None:
    closed = threading.Event()

    def source():
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    before = threading.active_count()
    items = prefetched(source())
    assert [next(items), next(items)] == [0, 1]
    items.close()
    assert closed.is_set()
    assert threading.active_count() == before


def test_prefetching_makes_the_first_item_on_entry_and_stops_on_exit() -> None:
    made = threading.Event()
    closed = threading.Event()

    def source():
        try:
            made.set()
            yield from range(1_000_000)
        finally:
            closed.set()

    before = threading.active_count()
    with prefetching(source()) as items:
        assert made.wait(10)  # made while the caller does something else, before any item is asked for
        assert next(items) == 0
    assert closed.is_set() and threading.active_count() == before

"""An iterator's next item made in a background thread while the current one is used.

Reading a run file block by block alternates arrow's parse (C++, the GIL released) with the
scoring of the block before (numpy, one core): on two cores each waits for the other. Made one
item ahead, the parse of block ``i + 1`` runs while block ``i`` is scored. Items come in order,
an exception comes where the item would have, and a consumer that stops early stops the thread.
:func:`prefetching` starts making the first item at once, so that it is made while the caller
does something else first (reads the qrels).
"""
from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(items: Iterable[T]) -> Iterator[T]:
    """``items`` in order, each made while the one before is used (one item ahead, one thread)."""
    with prefetching(items) as made:
        yield from made


@contextlib.contextmanager
def prefetching(items: Iterable[T]) -> Iterator[Iterator[T]]:
    """A context whose value is ``items`` in order, made one ahead in a thread that starts on
    entry and is stopped (the source closed) on exit."""
    ready: queue.SimpleQueue = queue.SimpleQueue()
    room = threading.Semaphore(1)  # an item is made only once the one before has been taken
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            while _wait(room, stop):
                item = next(source, _DONE)
                ready.put((item, None))
                if item is _DONE:
                    return
        except BaseException as error:  # handed to the consumer, which raises it where the item was due
            ready.put((_DONE, error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a generator stopped early: its files are closed now, not when collected
                close()

    def consume() -> Iterator[T]:
        while True:
            item, error = ready.get()
            room.release()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item

    worker = threading.Thread(target=produce, name="harness-prefetch", daemon=True)
    worker.start()
    try:
        yield consume()
    finally:
        stop.set()
        worker.join()


def _wait(room: threading.Semaphore, stop: threading.Event) -> bool:
    """Wait for room for the next item; False when the consumer has stopped."""
    while not stop.is_set():
        if room.acquire(timeout=0.05):
            return True
    return False

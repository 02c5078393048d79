"""Progress of long loops: tqdm bars on a terminal, sparse plain lines in a log.

On a terminal (or in a Jupyter kernel, whose output cells redraw tqdm's carriage returns in place)
a loop shows a tqdm bar that disappears when done. Anywhere else, stderr redirected to a file or a
pipe, bars would leave control characters behind; a loop writes plain lines to stderr instead::

    pairs: 3/12 done, 41.2 s

(its description, the steps done out of the total where known, the seconds since it began, and any
postfix such as the training loss). A loop always writes the line of its last step. Before that it
writes a line for a finished step only when :data:`OUTER_SECONDS` have passed since its previous
line, or :data:`INNER_SECONDS` for a loop running inside another (encoding batches inside the pairs
loop). The clock, not the step count, bounds a log: a pair that takes minutes gets a line of its
own, thousands of quick batches write one line a minute, and each inner loop's last line still
says what it did and how long it took. A loop left early (``break``, an exception) writes nothing
more: the error that ended it, or the caller, has the last word.
"""
from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Iterable, Iterator
from typing import IO, Any, Protocol, TypeVar

T = TypeVar("T")

OUTER_SECONDS = 10.0
INNER_SECONDS = 60.0

_now = time.monotonic


class Counter(Protocol):
    """What :func:`progress_counter` returns: the part of tqdm's interface the harness uses."""

    def update(self, n: int = 1) -> Any: ...

    def set_postfix(self, refresh: bool = True, **values: Any) -> Any: ...

    def close(self) -> None: ...


def progress(items: Iterable[T], enabled: bool, desc: str, unit: str = "it", total: int | None = None) -> Iterable[T]:
    """``items`` reporting their progress (see the module's docstring), or as they are when not ``enabled``.

    ``total`` sizes the count for iterators without a length (e.g. generated batches).
    """
    if not enabled:
        return items
    return _reporter(items, desc, unit, total)


def progress_counter(total: int, enabled: bool, desc: str, unit: str = "it") -> Counter:
    """A count of ``total`` steps advanced by hand with ``update(n)``, reported like :func:`progress`;
    ``set_postfix(name=value)`` adds values to the bar or the next line. Call ``close()`` when done.
    Does nothing when not ``enabled``."""
    if not enabled:
        return _Silent()
    return _reporter(None, desc, unit, total)


def progress_note(message: str, enabled: bool) -> None:
    """``message`` as a line on stderr, above any bars on a terminal, when ``enabled``."""
    if not enabled:
        return
    stream = sys.stderr
    if _interactive(stream):
        from tqdm import tqdm

        tqdm.write(message, file=stream)
    else:
        print(message, file=stream, flush=True)


def _reporter(items: Iterable[T] | None, desc: str, unit: str, total: int | None) -> Any:
    stream = sys.stderr
    if _interactive(stream):
        from tqdm import tqdm

        return tqdm(items, desc=desc, unit=unit, leave=False, total=total, file=stream)
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    return _Lines(items, desc, total, stream)


def _interactive(stream: IO[str]) -> bool:
    """Whether ``stream`` draws a bar: a terminal, or a Jupyter kernel's output."""
    if getattr(stream, "isatty", lambda: False)():
        return True
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    shell = get_ipython() if get_ipython is not None else None
    return shell is not None and "IPKernelApp" in shell.config


# The loops writing lines now: one started while another runs is nested. Weak, so that a loop
# abandoned without close() (an exception through a hand-advanced count) stops counting once gone.
_running: weakref.WeakSet[_Lines] = weakref.WeakSet()


class _Lines:
    """tqdm's interface (iteration, ``update``, ``set_postfix``, ``close``) as plain lines on ``stream``."""

    def __init__(self, items: Iterable[Any] | None, desc: str, total: int | None, stream: IO[str]) -> None:
        self.items, self.desc, self.total, self.stream = items, desc, total, stream
        self.interval = INNER_SECONDS if _running else OUTER_SECONDS
        self.n = self.shown = 0
        self.postfix = ""
        self.started = self.last_line = _now()
        _running.add(self)

    def __iter__(self) -> Iterator[Any]:
        try:
            for item in self.items if self.items is not None else ():
                yield item
                self.update()
            if self.n != self.shown:  # the total was unknown (or wrong): the end is the last step
                self._write(_now())
        finally:
            self.close()

    def update(self, n: int = 1) -> None:
        self.n += n
        now = _now()
        if self.n == self.total or now - self.last_line >= self.interval:
            self._write(now)

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        """Values shown at the end of the next line (``refresh`` is tqdm's; lines wait for a step anyway)."""
        self.postfix = "".join(f", {name}={value}" for name, value in values.items())

    def close(self) -> None:
        _running.discard(self)

    def _write(self, now: float) -> None:
        count = f"{self.n}/{self.total}" if self.total is not None else str(self.n)
        print(f"{self.desc}: {count} done, {now - self.started:.1f} s{self.postfix}", file=self.stream, flush=True)
        self.shown, self.last_line = self.n, now


class _Silent:
    """A :class:`Counter` that shows nothing (progress not wanted)."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, refresh: bool = True, **values: Any) -> None:
        pass

    def close(self) -> None:
        pass

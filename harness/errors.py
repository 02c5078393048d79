"""The one exception type for user mistakes: the CLI prints its message on one line and exits 2."""
from __future__ import annotations

from collections.abc import Iterable


class HarnessError(Exception):
    """A user-facing error (bad input, missing data, unknown id): one line, no traceback."""


class InputFormatError(HarnessError):
    """A malformed input file; the message names ``file:line`` and what was expected."""

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix for the closest choice, or '' when nothing is close."""
    import difflib  # only on a mistake: not worth its import on every start

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during work that stores pairs: how many were finished and kept, and where."""

    def __init__(self, kept: int, where: object) -> None:
        super().__init__(f"interrupted; {kept} pair{'s' if kept != 1 else ''} kept ({where} holds every finished pair; the pair in progress was not written)")
        self.kept = kept
        self.where = where

"""Which harness made a result: its version, and the git commit of its source where it is a checkout.

A submission records both (``harness_version``, ``harness_commit``, ``harness_dirty``) so that a
stored score can be traced to the code that produced it, as pyserini's reproduction pages show
the commit of every run. An install from a wheel has no commit (``None``), and a machine without
git records ``None`` rather than failing.
"""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from harness import __version__

_GIT_TIMEOUT_S = 10


@functools.cache
def harness_source() -> dict[str, str | bool | None]:
    """``{"harness_version", "harness_commit", "harness_dirty"}`` of the code running now.

    The commit is ``git rev-parse HEAD`` of the checkout the package was imported from, and only
    where the package's parent folder is that checkout's root: a wheel installed into a virtual
    environment that happens to sit inside some repository is not that repository's code.
    ``harness_dirty`` says whether the package's files differ from the commit (untracked modules
    included). Computed once per process: what runs is the code imported at start, whatever
    happens to the files afterwards.
    """
    checkout = Path(__file__).resolve().parent.parent
    commit = dirty = None
    if (checkout / ".git").exists():
        head = _git(checkout, "rev-parse", "HEAD")
        if head is not None and len(head) == 40:
            commit = head
            changes = _git(checkout, "status", "--porcelain", "--", Path(__file__).resolve().parent.name)
            dirty = None if changes is None else bool(changes)
    return {"harness_version": __version__, "harness_commit": commit, "harness_dirty": dirty}


def _git(folder: Path, *args: str) -> str | None:
    """The stripped output of ``git -C folder ARGS``, or ``None`` where git is missing or fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=_GIT_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None

"""The ``harness`` console script: :func:`harness.cli.main`, then an exit without the interpreter's teardown.

Once ``main`` has returned, everything is written and every ``atexit`` handler registered during
the run has run; what is left of a normal exit is freeing every module (numpy's, arrow's): 30-50 ms
measured, a sixth of a small ``harness eval --run``. So the process ends with :func:`os._exit`
after flushing the standard streams. The handler doing this is registered before anything else
(handlers run last-registered first, so it runs after all of them), and only after ``main``
returned a status: an exception or ``SystemExit`` inside it (a usage error, ``--help``) ends the
normal way. ``main`` called from Python (tests, notebooks) is untouched.

Before numpy is loaded, OpenBLAS's idle threads are told to sleep at once rather than spin for
their default 2**28 cycles (``OPENBLAS_THREAD_TIMEOUT``, unless the user set it): at numpy's
import they otherwise burn a core for about 0.1 s, the core arrow's parser of a run file needs
(``harness eval --run`` at 10k queries: 0.46 s of user time against 0.35 s). A thread woken for
the next matrix product costs microseconds; ``compare``'s products take milliseconds each.
"""
from __future__ import annotations

import atexit
import os
import sys

OPENBLAS_TIMEOUT_VARIABLE = "OPENBLAS_THREAD_TIMEOUT"
OPENBLAS_TIMEOUT = 4  # log2 of the cycles an idle thread spins; OpenBLAS's smallest


def run() -> None:
    """Entry point of the ``harness`` console script."""
    status: list[int] = []
    atexit.register(_exit_without_teardown, status)
    os.environ.setdefault(OPENBLAS_TIMEOUT_VARIABLE, str(OPENBLAS_TIMEOUT))
    from harness.cli import main

    status.append(main() or 0)
    sys.exit(status[0])


def _exit_without_teardown(status: list[int]) -> None:
    if not status:
        return  # main did not return: Python's own exit reports what happened
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(status[0])

"""The ``harness`` console script (harness.console.run): main's status and output, every atexit
handler registered during the run, and no interpreter teardown after them."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import atexit, os, sys
    import harness.cli

    class Torn:
        # runs only when the interpreter tears its modules down; it holds what it needs, as they go
        def __del__(self, write=os.write, fd=os.open(sys.argv[1] + ".torn", os.O_WRONLY | os.O_CREAT)):
            write(fd, b"torn")

    def main():
        atexit.register(lambda: open(sys.argv[1] + ".atexit", "w").write("ran"))
        sys.modules["__main__"].kept = Torn()
        sys.stdout.write("x" * 1_000_000)  # buffered: must be flushed before the process ends
        {ending}

    harness.cli.main = main
    from harness.console import run
    run()
    """
)


def run_script(tmp_path: Path, ending: str) -> tuple[subprocess.CompletedProcess, Path]:
    marker = tmp_path / "marker"
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(ending=ending), str(marker)], capture_output=True, text=True, timeout=120)
    return done, marker


def test_a_status_returned_ends_the_process_after_the_handlers_without_teardown(tmp_path):
    done, marker = run_script(tmp_path, "return 3")
    assert done.returncode == 3 and len(done.stdout) == 1_000_000 and done.stderr == ""
    assert (tmp_path / "marker.atexit").read_text() == "ran"
    assert (tmp_path / "marker.torn").read_text() == ""  # the modules were not torn down


def test_a_usage_error_or_an_exception_ends_the_normal_way(tmp_path):
    done, marker = run_script(tmp_path, "raise SystemExit(2)")
    assert done.returncode == 2 and len(done.stdout) == 1_000_000
    assert (tmp_path / "marker.atexit").exists() and (tmp_path / "marker.torn").read_text() == "torn"
    done, _ = run_script(tmp_path, "raise RuntimeError('boom')")
    assert done.returncode == 1 and "RuntimeError: boom" in done.stderr


OPENBLAS_SCRIPT = """
import os, sys
import harness.cli
harness.cli.main = lambda: print(os.environ.get("OPENBLAS_THREAD_TIMEOUT"), "numpy" in sys.modules) or 0
from harness.console import run
run()
"""


def test_openblas_idle_threads_are_told_to_sleep_unless_the_user_chose(tmp_path):
    # set before numpy is loaded (OpenBLAS reads it once, at load); a user's own value stands
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_THREAD_TIMEOUT"}
    done = subprocess.run([sys.executable, "-c", OPENBLAS_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert done.stdout.split() == ["4", "False"]
    done = subprocess.run([sys.executable, "-c", OPENBLAS_SCRIPT], capture_output=True, text=True, env={**env, "OPENBLAS_THREAD_TIMEOUT": "20"}, timeout=120)
    assert done.stdout.split() == ["20", "False"]

"""Progress: tqdm bars on a terminal, sparse plain lines when stderr is a file or a pipe (issue 15)."""
from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tqdm import tqdm

import harness.progress as progress_module
from harness.progress import progress, progress_counter, progress_note

REPO = Path(__file__).resolve().parents[1]


class Clock:
    """A stand-in for ``time.monotonic`` that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress_module, "_now", fake)
    return fake


def plain(text: str) -> list[str]:
    """``text``'s lines, once checked free of what a bar would leave (carriage returns, ANSI codes)."""
    assert "\r" not in text and "\x1b" not in text
    return text.splitlines()


def test_an_outer_loop_writes_its_last_step_and_a_step_each_ten_seconds_before(clock, capsys) -> None:
    for _ in progress(range(5), True, "pairs", unit="pair"):
        clock.now += 4.0
    captured = capsys.readouterr()
    # steps end at 4, 8, 12, 16, 20 s: 12 s is the first 10 s after the start, 20 s the last step
    assert plain(captured.err) == ["pairs: 3/5 done, 12.0 s", "pairs: 5/5 done, 20.0 s"]
    assert captured.out == ""


def test_slow_steps_get_a_line_each(clock, capsys) -> None:
    for _ in progress(["de-en", "en-de", "de-de"], True, "pairs"):
        clock.now += 41.5
    assert plain(capsys.readouterr().err) == ["pairs: 1/3 done, 41.5 s", "pairs: 2/3 done, 83.0 s", "pairs: 3/3 done, 124.5 s"]


def test_a_loop_inside_another_writes_once_a_minute_and_its_last_step(clock, capsys) -> None:
    for pair in progress(["de-en", "en-de"], True, "pairs"):
        for _ in progress(range(150), True, f"{pair}: encode", unit="batch"):
            clock.now += 1.0
    assert plain(capsys.readouterr().err) == [
        "de-en: encode: 60/150 done, 60.0 s",
        "de-en: encode: 120/150 done, 120.0 s",
        "de-en: encode: 150/150 done, 150.0 s",
        "pairs: 1/2 done, 150.0 s",
        "en-de: encode: 60/150 done, 60.0 s",
        "en-de: encode: 120/150 done, 120.0 s",
        "en-de: encode: 150/150 done, 150.0 s",
        "pairs: 2/2 done, 300.0 s",
    ]
    # once the outer loop is over, the next loop is outermost again (ten seconds, not a minute)
    for _ in progress(range(2), True, "testing"):
        clock.now += 11.0
    assert plain(capsys.readouterr().err) == ["testing: 1/2 done, 11.0 s", "testing: 2/2 done, 22.0 s"]


def test_an_iterator_without_a_length_counts_up_to_its_end(clock, capsys) -> None:
    for _ in progress((n for n in range(3)), True, "translate documents", unit="doc"):
        clock.now += 2.0
    assert plain(capsys.readouterr().err) == ["translate documents: 3 done, 6.0 s"]


def test_a_loop_left_early_writes_nothing_more(clock, capsys) -> None:
    with pytest.raises(KeyError):
        for _ in progress(range(5), True, "pairs"):
            clock.now += 1.0
            raise KeyError("ranking failed")
    for done, _ in enumerate(progress(range(5), True, "pairs"), 1):
        clock.now += 1.0
        if done == 2:
            break
    assert capsys.readouterr().err == ""


def test_a_hand_advanced_count_shows_its_postfix(clock, capsys) -> None:
    bar = progress_counter(3, True, "train", unit="step")
    for loss in (0.9, 0.6, 0.4):
        clock.now += 6.0
        bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        bar.update()
    bar.close()
    assert plain(capsys.readouterr().err) == ["train: 2/3 done, 12.0 s, loss=0.6000", "train: 3/3 done, 18.0 s, loss=0.4000"]


def test_updates_of_several_steps_count_them_all(clock, capsys) -> None:
    bar = progress_counter(300, True, "toy/de-en: bm25", unit="query")
    for chunk in (128, 128, 44):
        clock.now += 0.5
        bar.update(chunk)
    bar.close()
    assert plain(capsys.readouterr().err) == ["toy/de-en: bm25: 300/300 done, 1.5 s"]


def test_notes_go_to_stderr_as_one_line(capsys) -> None:
    progress_note("toy: indexing 1,190 de documents (german)", True)
    progress_note("not shown", False)
    captured = capsys.readouterr()
    assert plain(captured.err) == ["toy: indexing 1,190 de documents (german)"] and captured.out == ""


def test_nothing_is_shown_when_progress_is_off(capsys) -> None:
    items = [1, 2, 3]
    assert progress(items, False, "pairs") is items
    bar = progress_counter(3, False, "train")
    bar.set_postfix(loss="1.0")
    bar.update(3)
    bar.close()
    assert capsys.readouterr() == ("", "")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_tqdm_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = progress(range(3), True, "pairs", unit="pair")
    assert isinstance(bar, tqdm) and list(bar) == [0, 1, 2]
    assert isinstance(progress_counter(3, True, "train"), tqdm)
    assert "\r" in terminal.getvalue() and "pairs" in terminal.getvalue()


def test_a_jupyter_kernel_gets_tqdm_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = type("Shell", (), {"config": {"IPKernelApp": {}}})()
    monkeypatch.setitem(sys.modules, "IPython", type(sys)("IPython"))
    monkeypatch.setattr(sys.modules["IPython"], "get_ipython", lambda: kernel, raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a kernel's stream is no terminal
    assert isinstance(progress(range(3), True, "pairs"), tqdm)
    kernel.config = {}  # a plain IPython shell in a terminal: its stderr decides
    assert not isinstance(progress(range(3), True, "pairs"), tqdm)


def test_stderr_redirected_to_a_file_gets_the_plain_lines(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import harness.progress as p
        now = [0.0]
        p._now = lambda: now[0]
        for pair in p.progress(["de-en", "en-de"], True, "pairs", unit="pair"):
            for batch in p.progress(range(1000), True, pair + ": encode", unit="batch"):
                now[0] += 0.05
        print("report")
        """
    )
    log = tmp_path / "log.txt"
    with log.open("w") as stderr:
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True, check=True)
    assert done.stdout == "report\n"
    # 2,000 batches, 100 s in all: one line a minute inside the pairs loop, and each loop's last step
    assert plain(log.read_text()) == [
        "de-en: encode: 1000/1000 done, 50.0 s",
        "pairs: 1/2 done, 50.0 s",
        "en-de: encode: 1000/1000 done, 50.0 s",
        "pairs: 2/2 done, 100.0 s",
    ]


def test_evaluate_in_a_log_writes_a_line_per_finished_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from harness import api
    from tests.fixtures.cli.tree import toy_registrations
    from tests.test_candidate_text import QUESTIONS, SENTENCES
    from tests.test_datasets_lareqa import paragraph, write_language

    for lang in SENTENCES:
        write_language(tmp_path / "data" / "lareqa" / "toy-r", lang, [paragraph(SENTENCES[lang], QUESTIONS[lang])])
    ticks = iter(range(0, 1000, 12))  # each pair takes 12 s
    monkeypatch.setattr(progress_module, "_now", lambda: float(next(ticks)))
    with toy_registrations():
        api.evaluate("toy-overlap", "toy-r", pairs="de-en,en-de,de-xx", data_dir=tmp_path / "data", submissions_dir=tmp_path / "subs")
    assert plain(capsys.readouterr().err) == ["pairs: 1/3 done, 12.0 s", "pairs: 2/3 done, 24.0 s", "pairs: 3/3 done, 36.0 s"]


def test_every_bar_of_the_harness_goes_through_this_module() -> None:
    direct = [str(path.relative_to(REPO)) for path in (REPO / "harness").rglob("*.py") if "tqdm" in path.read_text() and path.name != "progress.py"]
    assert direct == [], "use harness.progress, which writes plain lines when stderr is no terminal"

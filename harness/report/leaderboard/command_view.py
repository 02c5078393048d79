"""What a system page shows to reproduce a stored score: the pair's exact command and the harness
that ran it (version, git commit), as pyserini's 2CR pages show a command and commit per run.

The commands come from :mod:`harness.submission_commands`; they are untrusted text like all
metadata, escaped by the templates and copied from an attribute, never run or parsed as markup.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.submission_commands import harness_pin, pair_command


def command_lines(text: str) -> list[list[str]]:
    """A command's lines, each as the pieces a narrow page may wrap between: its words, an option
    kept with its value (``--dataset xquad-r``). Joined with single spaces and line breaks they are
    the text again, wherever it had single spaces."""
    lines = []
    for line in text.split("\n"):
        pieces: list[str] = []
        for word in line.split(" "):
            if pieces and pieces[-1].startswith("-") and " " not in pieces[-1] and word and not word.startswith("-"):
                pieces[-1] += " " + word
            else:
                pieces.append(word)
        lines.append(pieces)
    return lines


def pin_view(pin: Mapping[str, Any]) -> dict[str, Any]:
    """The harness of a result: ``pip install harness==VERSION`` and the commit, where known."""
    version, commit, dirty = pin.get("version"), pin.get("commit"), pin.get("dirty")
    parts = [f"harness {version}" if version else "harness version not recorded"]
    if commit:
        parts.append(f"commit {commit[:12]}" + (" with uncommitted changes" if dirty else ""))
    else:
        parts.append("commit not recorded")
    return {
        "version": version, "commit": commit, "dirty": bool(dirty),
        "install": f"pip install harness=={version}" if version else None,
        "text": ", ".join(parts),
        "key": (version, commit, bool(dirty)),
    }


def pair_commands(meta: Mapping[str, Any], pairs: list[str]) -> dict[str, dict[str, Any]]:
    """Per pair: its exact command (None where not known) and its harness pin."""
    return {pair: {"command": pair_command(meta, pair), "pin": pin_view(harness_pin(meta, pair))} for pair in pairs}


def submission_pin(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The harness of the submission as a whole (its ``meta.json``)."""
    return pin_view(harness_pin(meta))

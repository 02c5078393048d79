"""The exact command behind each stored pair of a submission, and the harness that ran it.

pyserini's reproduction pages (2CR) show, for every run and topic set, the score and the command
that produced it. A submission records its commands (``commands`` in ``meta.json``: every
``harness eval`` call that added or changed pairs, first one first) and, since item 16.4, each pair
record its own ``command`` with the ``harness_version``, ``harness_commit`` and ``harness_dirty``
of the code that ran it. For older pairs the command is derived: the commands whose
``--dataset``/``--pairs``/``--setting`` select the pair, of which the first produced it (a later
one skipped it as stored) unless a later one was run with ``--force``.

A command may rank many pairs. It is narrowed to one pair (``--pairs Q-D``) only for models whose
ranking of a pair depends on nothing else the command ranked (:data:`PAIR_INDEPENDENT_MODELS`);
an encoder batches texts by length across the pairs of a call and reuses their embeddings, so a
pair ranked alone may differ in the last bits, and its command is shown whole.

Command words are read as ``harness eval`` writes them (``shlex``), with ``--option value`` or
``--option=value``; an abbreviated option (argparse accepts ``--pai`` for ``--pairs``) is not
recognised.
"""
from __future__ import annotations

import functools
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.submissions import Submission

PAIR_INDEPENDENT_MODELS = frozenset({"bm25"})
"""Models whose run for a pair is the same whatever else one command ranks: BM25 searches each
pair on its own, in per-language indexes fingerprinted by their content."""

_SELECTING = ("--pairs", "--setting")


def pair_command(meta: Mapping[str, Any], pair: str) -> str | None:
    """The exact command that produced stored ``pair`` (``DATASET/Q-D``) of a submission's ``meta``.

    The pair record's own ``command`` where recorded, else the one derived from ``commands``;
    narrowed to this pair (``--pairs Q-D``) where that gives the same result (see the module's
    docstring). ``None`` where it cannot be known: an external run (ranked outside the harness),
    a call through the Python API with a model object, a pair no recorded command selects.
    """
    command = stored_command(meta, pair)
    if command is None or _model(meta) not in PAIR_INDEPENDENT_MODELS:
        return command
    return narrowed_command(command, [pair])


def stored_command(meta: Mapping[str, Any], pair: str) -> str | None:
    """The ``harness eval --model`` command that produced ``pair``, as recorded (not narrowed)."""
    record = _pairs(meta).get(pair)
    if not isinstance(record, Mapping) or _model(meta) in (None, "external-run"):
        return None
    own = record.get("command")
    if isinstance(own, str):  # meta.json is untrusted: a command that does not select its pair is no answer
        parsed = EvalCommand.parse(own)
        return own if parsed is not None and parsed.selects(pair, record.get("setting")) else None
    covering = [c for c in map(EvalCommand.parse, _commands(meta)) if c is not None and c.selects(pair, record.get("setting"))]
    if not covering:
        return None
    forced = [c for c in covering if c.force]
    return (forced[-1] if forced else covering[0]).text


def narrowed_command(command: str, pairs: Sequence[str]) -> str:
    """``command`` ranking only ``pairs`` (``DATASET/Q-D``, all of its dataset), in this order.

    Its ``--pairs`` and ``--setting`` give way to ``--pairs`` of these pairs; a command that names
    one pair (``--dataset ID/Q-D``) is returned as it is.
    """
    parsed = EvalCommand.parse(command)
    if parsed is None:
        raise ValueError(f"not a `harness eval --model` command: {command!r}")
    if list(pairs) == [parsed.dataset]:
        return command
    langs = []
    for pair in pairs:
        dataset, _, lang_pair = pair.rpartition("/")
        if dataset != parsed.dataset:
            raise ValueError(f"{pair} is not a pair of --dataset {parsed.dataset} in {command!r}")
        langs.append(lang_pair)
    words: list[str] = []
    given = parsed.words
    index = 0
    while index < len(given):
        name, eq, _ = given[index].partition("=")
        span = 1 if eq or name not in ("--dataset", *_SELECTING) else 2
        if name == "--dataset":
            words += [*given[index : index + span], "--pairs", ",".join(langs)]
        elif name not in _SELECTING:
            words += given[index : index + span]
        index += span
    return shlex.join(words)


def harness_pin(meta: Mapping[str, Any], pair: str | None = None) -> dict[str, str | bool | None]:
    """``{"version", "commit", "dirty"}`` of the harness that produced the submission (or ``pair``,
    where its record says, else the submission's); ``None`` where not recorded (older submissions
    have no commit; an install from a wheel has none)."""
    record = _pairs(meta).get(pair) if pair is not None else None
    source = record if isinstance(record, Mapping) and "harness_version" in record else meta
    version, commit, dirty = (source.get(key) for key in ("harness_version", "harness_commit", "harness_dirty"))
    return {
        "version": version if isinstance(version, str) else None,
        "commit": commit if isinstance(commit, str) else None,
        "dirty": dirty if isinstance(dirty, bool) else None,
    }


@dataclass(frozen=True)
class EvalCommand:
    """The words of one ``harness eval --model`` command, and which pairs they select."""

    text: str
    words: tuple[str, ...]
    spec: str
    """``--dataset`` as given (``xquad-r``, ``xquad-r/de-en``, ``irds:ID``)."""
    dataset: str
    pairs: tuple[str, ...] | None
    setting: str | None
    force: bool

    @classmethod
    def parse(cls, text: str) -> EvalCommand | None:
        """The command ``text``, or ``None`` where it is no ``harness eval --model ... --dataset ...``."""
        return _parsed_command(cls, text)

    @classmethod
    def _parse(cls, text: str) -> EvalCommand | None:
        try:
            words = tuple(shlex.split(text))
        except ValueError:
            return None
        if words[:2] != ("harness", "eval"):
            return None
        values = _option_values(words[2:])
        if "--model" not in values or "--dataset" not in values:
            return None
        pairs = values.get("--pairs")
        return cls(
            text=text,
            words=words,
            spec=values["--dataset"],
            dataset=_stored_dataset(values["--dataset"]),
            pairs=tuple(p.strip().lower() for p in pairs.split(",") if p.strip()) if pairs is not None else None,
            setting=values["--setting"].lower() if "--setting" in values else None,
            force="--force" in words,
        )

    def selects(self, pair: str, setting: Any) -> bool:
        """Whether this command ranks ``pair`` (whose record says it is of ``setting``)."""
        if pair == self.dataset:
            return True
        dataset, _, langs = pair.rpartition("/")
        if dataset != self.dataset:
            return False
        return (self.pairs is None or langs in self.pairs) and (self.setting is None or self.setting == setting)


@functools.lru_cache(maxsize=4096)
def _parsed_command(cls: type[EvalCommand], text: str) -> EvalCommand | None:
    """Each distinct command parsed once: a leaderboard asks for every pair of every submission (the result is frozen)."""
    return cls._parse(text)


def _option_values(words: Sequence[str]) -> dict[str, str]:
    """``--option value`` and ``--option=value`` of the options that select pairs or a model."""
    values: dict[str, str] = {}
    for index, word in enumerate(words):
        name, eq, value = word.partition("=")
        if name in ("--model", "--dataset", *_SELECTING):
            if eq:
                values[name] = value
            elif index + 1 < len(words):
                values[name] = words[index + 1]
    return values


def _stored_dataset(spec: str) -> str:
    """The dataset part of stored pair ids for a ``--dataset`` value (``irds:ID`` is stored as ``irds/ID``)."""
    return "irds/" + spec[5:] if spec[:5].lower() == "irds:" else spec


def _pairs(meta: Mapping[str, Any]) -> Mapping[str, Any]:
    pairs = meta.get("pairs")
    return pairs if isinstance(pairs, Mapping) else {}


def _model(meta: Mapping[str, Any]) -> str | None:
    system = meta.get("system")
    model = system.get("model") if isinstance(system, Mapping) else None
    return model if isinstance(model, str) else None


def _commands(meta: Mapping[str, Any]) -> list[str]:
    return Submission(Path(), dict(meta)).commands()

"""Compatibility modes: which trec_eval the numbers reproduce.

``trec_eval-10.0`` (the default) is trec_eval 10.0, whose own test outputs the evaluator
reproduces: scores are compared as read (64-bit floats) and ``IPrec@r`` needs ``lround(r *
num_rel)`` relevant documents. ``trec_eval-9.0.8`` is the 9.0.8 release and the copy bundled
in pytrec_eval (which ir-measures uses): scores are read as 32-bit floats, so scores equal
in float32 tie and fall to the document-id-descending rule, and ``IPrec@r`` needs
``(long)(r * num_rel + 0.9)``. Every other measure is computed the same way in both modes.
"""
from __future__ import annotations

import numpy as np

from harness.errors import HarnessError

DEFAULT_COMPAT = "trec_eval-10.0"
COMPAT_MODES = (DEFAULT_COMPAT, "trec_eval-9.0.8")
COMPAT_ALIASES = {"pytrec_eval": "trec_eval-9.0.8"}
COMPAT_NOTES = {
    "trec_eval-10.0": (
        "trec_eval 10.0: scores are compared as read (64-bit floats); IPrec@r needs lround(r * num_rel) relevant documents"
    ),
    "trec_eval-9.0.8": (
        "trec_eval 9.0.8 and pytrec_eval (ir-measures): scores are rounded to 32-bit floats before ranking, so scores "
        "equal in float32 tie (then document id descending) and ties are counted on them; IPrec@r needs "
        "(long)(r * num_rel + 0.9) relevant documents"
    ),
}
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def normalize_compat(compat: str) -> str:
    """The canonical mode for ``compat`` (``"pytrec_eval"`` is ``"trec_eval-9.0.8"``); anything else is refused."""
    mode = COMPAT_ALIASES.get(compat, compat)
    if mode not in COMPAT_MODES:
        aliases = ", ".join(f"{alias} = {target}" for alias, target in COMPAT_ALIASES.items())
        raise HarnessError(f"unknown compatibility mode {compat!r}; choose one of {', '.join(COMPAT_MODES)} ({aliases})")
    return mode


def ranking_scores(scores: np.ndarray, compat: str, run_name: str) -> np.ndarray:
    """The scores the mode ranks by: as given, or rounded to float32 (held as float64) for 9.0.8."""
    if compat == DEFAULT_COMPAT:
        return scores
    too_large = np.isfinite(scores) & (np.abs(scores) > _FLOAT32_MAX)  # nan and inf are the ranking's to refuse
    if too_large.any():
        bad = float(scores[np.flatnonzero(too_large)[0]])
        raise HarnessError(f"run {run_name!r}: score {bad!r} does not fit in a 32-bit float, which trec_eval 9.0.8 reads scores as")
    return scores.astype(np.float32).astype(np.float64)


def relevant_needed(recall: float, num_relevant: np.ndarray, compat: str) -> np.ndarray:
    """How many relevant documents ``IPrec@recall`` waits for: trec_eval's cut-off, per mode."""
    product = recall * num_relevant
    if compat == DEFAULT_COMPAT:  # C's lround, halves away from zero; x - floor(x) is exact, x + 0.5 is not
        whole = np.floor(product)
        return (whole + (product - whole >= 0.5)).astype(np.int64)
    return (product + 0.9).astype(np.int64)  # C's (long) truncates; the operand is never negative

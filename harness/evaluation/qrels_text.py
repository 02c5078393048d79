"""The judgments of a plainly written qrels file, read in one pass of one regular expression.

The line reader of :func:`~harness.evaluation.trec.read_qrels` decodes, strips, splits and
checks each line on its own, to name the line that is wrong: about 9 us a line, 0.09 s for the
10,000 judgments of a 10k-query run, more than arrow takes to parse the run itself. Most files
are plain: UTF-8, ``\\n`` line ends, four fields of non-blank characters separated by spaces or
tabs, integer grades. Those are read here, with the same result; anything else (a line that does
not match, a document judged twice, a grade out of range, a byte that is not UTF-8, a carriage
return) returns ``None`` and the line reader names the problem.
"""
from __future__ import annotations

import re
import zlib
from pathlib import Path

from harness.evaluation.trec_columns import INTEGER_PATTERN, open_binary

GRADE_MIN, GRADE_MAX = -(2**31), 2**31 - 1
_FIELD = r"[^ \t\n]+"
_LINE = re.compile(rf"^[ \t]*({_FIELD})[ \t]+{_FIELD}[ \t]+({_FIELD})[ \t]+({INTEGER_PATTERN})[ \t]*$", re.MULTILINE)
_NON_BLANK = re.compile(r"^[ \t]*[^ \t\n]", re.MULTILINE)


def plain_qrels(path: Path) -> dict[str, dict[str, int]] | None:
    """``{qid: {docid: grade}}`` of a plainly written qrels file, or ``None`` where the line reader must look."""
    try:
        with open_binary(path) as stream:
            data = stream.read()
        text = data.decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        return None
    judgments = _LINE.findall(text)
    if not judgments or len(judgments) != len(_NON_BLANK.findall(text)):
        return None
    qrels: dict[str, dict[str, int]] = {}
    for qid, doc_id, grade in judgments:
        judged = qrels.get(qid)
        if judged is None:
            judged = qrels[qid] = {}
        value = int(grade)
        if doc_id in judged or not GRADE_MIN <= value <= GRADE_MAX:
            return None
        judged[doc_id] = value
    return qrels

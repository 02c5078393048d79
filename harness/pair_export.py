"""Export one pair for other tools: its topics, qrels and candidate documents in the formats that
pyserini/Anserini, trec_eval, ir_datasets and PyTerrier read, under the harness's own ids.

``OUT`` holds (``manifest.json`` lists the same, with counts):

- ``topics.tsv``: ``query id<TAB>text``, what Anserini and pyserini take as ``--topics``;
- ``topics.trec``: the TREC topic format (``<top> <num> Number: ID <title> TEXT ... </top>``) for
  tools that read it (Terrier; Anserini's TREC topic reader wants integer ids: use the TSV there);
- ``qrels.txt``: TREC qrels, ``query id 0 document id grade``;
- ``docs.tsv``: ``document id<TAB>text<TAB>language``, the pair's whole candidate pool;
- ``jsonl/LANG/docs.jsonl``: ``{"id", "contents", "lang"}`` lines (pyserini's JsonCollection), one
  folder per document language: a multilingual pool is indexed per language, as the harness's BM25 does;
- ``candidates.tsv``: only where the protocol re-ranks a first stage (mMARCO's English BM25 top-1000):
  ``query id<TAB>document id<TAB>rank``;
- ``manifest.json``: pair, languages, counts, dataset options, harness version, and the pyserini
  commands that index and search the export as ``harness eval --model bm25`` does (:mod:`.export_recipe`);
- ``README.md``: the same, for a reader.

Texts are exact in the JSONL files. A TSV or TREC record is a line, so there tabs, newlines and
carriage returns inside a text become spaces (the manifest counts the texts concerned); Lucene's
analyzers split on any whitespace, so BM25 sees the same terms in either file.

The export is built in a hidden temporary sibling of ``OUT`` and renamed into place once complete,
so an interrupted export leaves no partial ``OUT``. An existing ``OUT`` must be empty; ``force``
replaces an earlier export (a folder whose ``manifest.json`` says it is one) and nothing else.
Nothing depends on the clock: the same data and harness version give the same bytes.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.output_paths import check_output_dir
from harness.paths import checked_data_dir
from harness.progress import progress as progress_bar

if TYPE_CHECKING:
    from harness.datasets.records import PairTask

EXPORT_FORMAT = "harness-export"
EXPORT_VERSION = 1
MANIFEST = "manifest.json"
_WHITESPACE = re.compile(r"\s")
_LANGUAGE = re.compile(r"[A-Za-z0-9_-]+")
_ONE_LINE = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


@dataclass(frozen=True)
class PairExport:
    """What :func:`export_pair` wrote: the folder (as given) and its manifest (pair, counts, files, BM25 recipe)."""

    root: Path
    manifest: dict[str, Any]

    @property
    def files(self) -> list[Path]:
        """Every file of the export, relative to :attr:`root`."""
        return sorted(path.relative_to(self.root) for path in self.root.rglob("*") if path.is_file())

    def summary(self) -> str:
        """A few lines for the terminal: what was written where, and how to index it."""
        counts = self.manifest["counts"]
        languages = ", ".join(f"{lang} {n:,}" for lang, n in counts["documents_by_language"].items())
        lines = [
            (f"wrote {self.root}: {self.manifest['pair']}, {counts['queries']:,} topics, {counts['qrels']:,} qrels, "
             f"{counts['documents']:,} documents ({languages})"),
        ]
        recipe = self.manifest["bm25_pyserini"]
        for lang, steps in recipe.get("languages", {}).items():
            lines.append(f"index {lang}: (cd {self.root} && {' '.join(steps['index_command'])})")
        if "unavailable" in recipe:
            lines.append(f"note: {recipe['unavailable']}")
        lines.append(f"see {self.root / 'README.md'}")
        return "\n".join(lines)


def export_pair(
    pair: str,
    out_dir: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    dataset_options: Mapping[str, str] | None = None,
    force: bool = False,
    download: bool = False,
    progress: bool = False,
) -> PairExport:
    """Write pair ``pair`` (``DATASET/Q-D``, or ``irds:ID``) to the folder ``out_dir``: topics (TSV
    and TREC), qrels (TREC), documents (pyserini JSONL and TSV, each with its language), a manifest
    and a README (see the module docstring). ``dataset_options`` build the pair as ``harness eval``
    would (e.g. ``{"candidate_text": "sentence+context"}``). ``out_dir`` must be new or empty;
    ``force`` replaces an earlier export there."""
    from harness.datasets import get_dataset, resolve_pairs

    target = _checked_target(out_dir, force)
    resolved = resolve_pairs(pair)
    if len(resolved) != 1:
        raise HarnessError(f"{pair}: names {len(resolved)} pairs; export takes one pair ID/Q-D, e.g. xquad-r/de-en")
    task = get_dataset(resolved[0].dataset).task(resolved[0], checked_data_dir(data_dir), download=download, options=dataset_options)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))
    try:
        _follow_umask(work)
        manifest = _write_export(task, work, progress)
        _publish(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return PairExport(Path(out_dir), manifest)  # as given: a summary names the folder the user named


def _checked_target(out_dir: str | os.PathLike[str], force: bool) -> Path:
    """The absolute ``--out`` folder, refused unless new, empty, or an earlier export with ``force``."""
    target = Path(os.path.abspath(check_output_dir(out_dir, "--out")))
    if not target.is_dir() or not any(target.iterdir()):
        return target
    if not _is_export(target):
        raise HarnessError(f"--out {out_dir}: the folder holds other files; give a new or empty folder (--force replaces only an earlier export)")
    if not force:
        raise HarnessError(f"--out {out_dir}: holds an earlier export; give --force to replace it")
    return target


def _follow_umask(folder: Path) -> None:
    """mkdtemp makes a private folder; an export is meant to be shared, so it gets the mode mkdir would give."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)


def _is_export(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == EXPORT_FORMAT


def _publish(work: Path, target: Path) -> None:
    """Rename the finished export into place; an earlier export there is moved aside first and removed after."""
    if target.is_dir() and any(target.iterdir()):
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))
        os.replace(target, old)
        os.replace(work, target)
        shutil.rmtree(old, ignore_errors=True)
        return
    os.replace(work, target)


def _write_export(task: PairTask, work: Path, progress: bool) -> dict[str, Any]:
    from harness.export_recipe import manifest_of, readme_of

    flattened = {"queries": _write_topics(task, work)}
    qrels, relevant = _write_qrels(task, work)
    by_language, empty, flattened["documents"] = _write_documents(task, work, progress)
    counts: dict[str, Any] = {
        "queries": len(task.queries),
        "qrels": qrels,
        "relevant": relevant,
        "documents": sum(by_language.values()),
        "documents_by_language": dict(sorted(by_language.items())),
        "empty_documents": empty,
        "texts_flattened_in_tsv_and_trec": flattened,
    }
    if task.candidates is not None:
        counts["candidates"] = _write_candidates(task, work)
    manifest = manifest_of(task, counts, EXPORT_FORMAT, EXPORT_VERSION)
    (work / "README.md").write_text(readme_of(manifest), encoding="utf-8")
    # written last: an export with its manifest is complete
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def _write_topics(task: PairTask, work: Path) -> int:
    """topics.tsv and topics.trec; returns how many query texts had tabs or line breaks flattened."""
    flattened = 0
    with _text(work / "topics.tsv") as tsv, _text(work / "topics.trec") as trec:
        for query in task.queries:
            _check_id(task, query.query_id, "query")
            text = query.text.translate(_ONE_LINE)
            flattened += text != query.text
            tsv.write(f"{query.query_id}\t{text}\n")
            trec.write(f"<top>\n\n<num> Number: {query.query_id}\n<title> {text}\n\n<desc> Description:\n\n<narr> Narrative:\n\n</top>\n\n")
    return flattened


def _write_qrels(task: PairTask, work: Path) -> tuple[int, int]:
    """qrels.txt in the queries' order, documents by id (as ir_datasets gives them); returns (lines, relevant lines)."""
    from harness.datasets.irds_registration import ordered_qrels

    lines = relevant = 0
    with _text(work / "qrels.txt") as out:
        for qid, doc_id, grade in ordered_qrels(task):
            _check_id(task, qid, "query")
            _check_id(task, doc_id, "document")
            out.write(f"{qid} 0 {doc_id} {grade}\n")
            lines += 1
            relevant += grade >= 1
    return lines, relevant


def _write_documents(task: PairTask, work: Path, progress: bool) -> tuple[dict[str, int], int, int]:
    """docs.tsv and one jsonl/LANG/docs.jsonl per language; returns (documents per language, empty
    texts, texts flattened in the TSV)."""
    counts: dict[str, int] = {}
    empty = flattened = 0
    with contextlib.ExitStack() as files:
        tsv = files.enter_context(_text(work / "docs.tsv"))
        jsonl: dict[str, IO[str]] = {}
        collection = task.documents
        # len() may read a lazy collection once more: only a progress bar needs it
        total = len(collection) if progress else None
        for doc in progress_bar(collection, progress, f"{task.pair}: export", unit="doc", total=total):
            _check_id(task, doc.doc_id, "document")
            if doc.lang not in jsonl:
                if not _LANGUAGE.fullmatch(doc.lang):
                    raise HarnessError(f"{task.pair}: document {doc.doc_id} has language {doc.lang!r}; expected a code such as en")
                (work / "jsonl" / doc.lang).mkdir(parents=True)
                jsonl[doc.lang] = files.enter_context(_text(work / "jsonl" / doc.lang / "docs.jsonl"))
                counts[doc.lang] = 0
            jsonl[doc.lang].write(json.dumps({"id": doc.doc_id, "contents": doc.text, "lang": doc.lang}, ensure_ascii=False) + "\n")
            text = doc.text.translate(_ONE_LINE)
            flattened += text != doc.text
            empty += not text.strip()
            tsv.write(f"{doc.doc_id}\t{text}\t{doc.lang}\n")
            counts[doc.lang] += 1
    return counts, empty, flattened


def _write_candidates(task: PairTask, work: Path) -> int:
    """candidates.tsv: the protocol's first-stage list per query, in its order; returns its lines."""
    lines = 0
    candidates = task.candidates or {}
    with _text(work / "candidates.tsv") as out:
        for query in task.queries:
            for rank, doc_id in enumerate(candidates.get(query.query_id, ()), start=1):
                _check_id(task, doc_id, "document")
                out.write(f"{query.query_id}\t{doc_id}\t{rank}\n")
                lines += 1
    return lines


def _check_id(task: PairTask, identifier: str, kind: str) -> None:
    if not identifier or _WHITESPACE.search(identifier):
        raise HarnessError(f"{task.pair}: {kind} id {identifier!r} is empty or holds whitespace; TREC files cannot carry it")


def _text(path: Path) -> IO[str]:
    return path.open("w", encoding="utf-8", newline="\n")

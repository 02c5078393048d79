"""What an exported pair says about itself: its manifest, its README, and the pyserini commands
that index and search it as ``harness eval --model bm25`` does (:mod:`harness.models.bm25`).

The BM25 recipe follows the harness's own decisions: k1/b from the dataset's protocol, else 0.9/0.4;
one index per document language with that language's analyzer (:mod:`harness.models.analyzers`),
the query analysed by the documents' analyzer; every matching document (or the protocol's depth);
a multilingual pool merged by raw score. pyserini's search command sets the analyzer with
``--language`` (Anserini's ``SimpleSearcher.set_language``), which has no branch for the languages
the harness analyses with its language-neutral fallback (Greek, Vietnamese): there only the Python
``LuceneSearcher`` with ``set_analyzer`` reproduces the harness, and the manifest says so. The
command also prints scores with 6 decimals, which can tie hits the full-precision scores order.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.datasets.records import PairTask

NEUTRAL_ANALYZER = "io.anserini.analysis.DefaultEnglishAnalyzer.fromArguments('none', True, None)"
FILES = {
    "topics.tsv": "`query id TAB text` (Anserini/pyserini --topics)",
    "topics.trec": "TREC topic format, `<top> <num> Number: ID <title> TEXT ... </top>` (Anserini's TREC reader wants integer ids: use topics.tsv there)",
    "qrels.txt": "TREC qrels, `query id 0 document id grade` (grade >= 1 is relevant)",
    "docs.tsv": "`document id TAB text TAB language`: the whole candidate pool",
    "jsonl/LANG/docs.jsonl": 'pyserini JsonCollection, one folder per document language: `{"id", "contents", "lang"}`',
    "candidates.tsv": "only where the protocol re-ranks a first stage: `query id TAB document id TAB rank`",
    "manifest.json": "this description, with counts and the BM25 recipe",
}


def manifest_of(task: PairTask, counts: dict[str, Any], export_format: str, version: int) -> dict[str, Any]:
    """The export's ``manifest.json``: pair, languages, counts, options, version, files and the BM25 recipe."""
    from harness import __version__
    from harness.datasets.options import NOTES_KEY

    pair = task.pair
    return {
        "format": export_format,
        "format_version": version,
        "pair": str(pair),
        "dataset": pair.dataset,
        "setting": pair.setting,
        "query_language": pair.query_lang,
        "document_language": pair.doc_lang,
        "document_languages": list(counts["documents_by_language"]),
        "harness_version": __version__,
        "dataset_options": task.notes.get(NOTES_KEY, {}),
        "counts": counts,
        "files": {name: what for name, what in FILES.items() if name != "candidates.tsv" or task.candidates is not None},
        "evaluation": {
            "measures": list(task.measures),
            "depth": task.depth,
            "command": f"harness eval --run run.trec --dataset {pair} --data-dir DATA_DIR",
        },
        "ir_datasets_id": f"harness/{pair} (after harness.register_with_ir_datasets(); built with the dataset's default options)",
        "notes": json.loads(json.dumps(task.notes, default=str)),
        "bm25_pyserini": bm25_recipe(task, counts["documents_by_language"]),
    }


def bm25_recipe(task: PairTask, documents_by_language: dict[str, int]) -> dict[str, Any]:
    """The pyserini commands (run from the export folder) that give ``harness eval --model bm25``'s run."""
    from harness.models.bm25 import DEFAULT_B, DEFAULT_K1, PROTOCOL_NOTE

    protocol: Mapping[str, float] = task.notes.get(PROTOCOL_NOTE) or {}  # type: ignore[assignment]  # bm25 checks its shape
    k1, b = float(protocol.get("k1", DEFAULT_K1)), float(protocol.get("b", DEFAULT_B))
    recipe: dict[str, Any] = {
        "k1": k1,
        "b": b,
        "k1_b_from": "the dataset's protocol" if protocol else "the harness's defaults (Anserini's)",
        "depth": task.depth,
        "query_analysis": "the document language's analyzer, also for queries of another language",
    }
    try:
        from harness.models.analyzers import analysis_for

        analyses = {lang: analysis_for(lang) for lang in documents_by_language}
    except (HarnessError, ImportError) as error:
        recipe["unavailable"] = f"no analyzer table here, so no commands: pyserini and Java 21+ are needed to read Anserini's ({error})"
        return recipe
    single = len(documents_by_language) == 1
    recipe["languages"] = {}
    for lang, count in documents_by_language.items():
        analysis = analyses[lang]
        hits = task.depth or count
        run = "run.trec" if single else f"run.{lang}.trec"
        recipe["languages"][lang] = {
            "documents": count,
            "analyzer": analysis.analyzer,
            "index_command": [
                "python", "-m", "pyserini.index.lucene", "--collection", "JsonCollection", "--input", f"jsonl/{lang}",
                "--index", f"indexes/{lang}", "--generator", "DefaultLuceneDocumentGenerator", "--threads", "1",
                "--storePositions", "--storeDocvectors", "--storeRaw",
                *(f"-{option}" if option.startswith("-") else option for option in analysis.index_options),
            ],
            "search_command": [
                "python", "-m", "pyserini.search.lucene", "--index", f"indexes/{lang}", "--topics", "topics.tsv",
                "--output", run, "--bm25", "--k1", str(k1), "--b", str(b), "--hits", str(hits), "--language", lang,
            ],
            "search_command_analysis_matches": not analysis.fallback,
            "searcher": {
                "index": f"indexes/{lang}",
                "set_language": lang if lang != "en" and not analysis.fallback else None,
                "set_analyzer": NEUTRAL_ANALYZER if analysis.fallback else None,
                "k": hits,
            },
        }  # fmt: skip
    if not single:
        cut = f"; then keep each query's {task.depth} best by score (ties: document id ascending, as Anserini)" if task.depth else ""
        recipe["merge_command"] = "cat run.*.trec > run.trec"
        recipe["merge"] = (
            f"each language's hits keep their raw BM25 scores{cut}; harness eval sorts by score (trec_eval's order), "
            "so the file order and the repeated ranks do not matter"
        )
    return recipe


def readme_of(manifest: dict[str, Any]) -> str:
    """The export's README.md: what each file holds and how to index, search and evaluate it."""
    counts, recipe = manifest["counts"], manifest["bm25_pyserini"]
    languages = ", ".join(f"{lang} ({n:,})" for lang, n in counts["documents_by_language"].items())
    flattened = counts["texts_flattened_in_tsv_and_trec"]
    lines = [
        f"# {manifest['pair']}, exported by harness {manifest['harness_version']}",
        "",
        (f"A {manifest['setting'].upper()} pair: {counts['queries']:,} queries in `{manifest['query_language']}`, "
         f"{counts['qrels']:,} qrels ({counts['relevant']:,} relevant), {counts['documents']:,} documents: {languages}."),
        (f"Dataset options: {json.dumps(manifest['dataset_options']) if manifest['dataset_options'] else 'none'}. "
         "Ids are the harness's own, so runs made from these files evaluate with `harness eval --run`."),
        "",
        "| file | what |",
        "|---|---|",
        *(f"| `{name}` | {what} |" for name, what in manifest["files"].items()),
        "",
        "Every document carries its language: the `lang` field of the JSONL, the third column of `docs.tsv`.",
        (f"Texts are exact in the JSONL; in the TSV and TREC files tabs and line breaks became spaces "
         f"({flattened['queries']} queries, {flattened['documents']} documents)."),
        "",
        "## BM25 with pyserini, as `harness eval --model bm25` ranks it",
        "",
    ]
    if "unavailable" in recipe:
        return "\n".join([*lines, recipe["unavailable"], ""])
    steps = recipe["languages"].values()
    lines += [
        f"From this folder (k1={recipe['k1']}, b={recipe['b']}: {recipe['k1_b_from']}; queries analysed with the documents' analyzer):",
        "",
        "```bash",
        *(" ".join(step["index_command"]) for step in steps),
        *(" ".join(step["search_command"]) for step in steps),
        *([recipe["merge_command"]] if "merge_command" in recipe else []),
        manifest["evaluation"]["command"],
        "```",
        "",
        ("pyserini's search command prints scores with 6 decimals, which can tie hits that the full scores order; "
         "`LuceneSearcher` (`set_language`, `set_bm25`, `batch_search`, with the settings under `searcher` in "
         "`manifest.json`) gives the full scores and the harness's numbers exactly."),
    ]
    inexact = [lang for lang, step in recipe["languages"].items() if not step["search_command_analysis_matches"]]
    if inexact:
        lines.append(
            f"Anserini has no analyzer for {', '.join(inexact)}: the harness indexes them language-neutrally (lowercased words, "
            f"no stemming, no stopwords), which `--language` cannot select at search time; use `LuceneSearcher` with "
            f"`set_analyzer({NEUTRAL_ANALYZER})`."
        )
    if "merge" in recipe:
        lines.append(f"Merging: {recipe['merge']}.")
    lines += [
        "",
        "## ir_datasets and PyTerrier",
        "",
        "```python",
        "import harness",
        "harness.register_with_ir_datasets(data_dir=DATA_DIR)",
        f"dataset = ir_datasets.load('harness/{manifest['pair']}')  # or pt.get_dataset('irds:harness/{manifest['pair']}')",
        "```",
        "",
    ]
    return "\n".join(lines)

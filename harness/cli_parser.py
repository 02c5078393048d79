"""The ``harness`` command line as argparse sees it, and which options apply in which mode.

Kept apart from the handlers (:mod:`harness.cli`) so tests can walk every subcommand and option.
Errors are one line (``harness eval: error: ...``), exit status 2, like every user mistake.
"""
from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from harness import __version__

COMPAT_CHOICES = ("trec_eval-10.0", "trec_eval-9.0.8", "pytrec_eval")


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, with a usage mistake reported on one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: every subcommand and option (the handlers are set by :mod:`harness.cli`)."""
    parser = OneLineErrorParser(
        prog="harness",
        description="Benchmark harness for cross-lingual information retrieval (MoIR, CLIR, MLIR).",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=OneLineErrorParser)

    ev = commands.add_parser(
        "eval",
        help="rank and evaluate a model on dataset pairs, or evaluate an existing run",
        description="With --model: rank every requested pair, evaluate it and store a submission. "
        "With --run: evaluate a TREC run against --qrels FILE or a registered pair --dataset ID/Q-D.",
    )
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model",
        help="a registered model adapter (see `harness models`; installed plugins' included), or package.module:object: a "
        "ModelSpec, Ranker, function (queries, documents) -> {query_id: {doc_id: score}}, sentence-transformers model or PyTerrier transformer",
    )
    source.add_argument("--run", help="a TREC run file (plain or .gz) to evaluate")
    ev.add_argument(
        "--dataset",
        help="dataset id (all standard pairs), or one pair ID/Q-D, e.g. xquad-r/de-en; any ir_datasets id with queries "
        "and qrels as irds:ID, e.g. irds:neuclir/1/zh/trec-2022 (one pair, in ir_datasets' languages)",
    )
    ev.add_argument("--qrels", help="a TREC qrels file, to evaluate --run against")
    ev.add_argument("--pairs", help="comma-separated Q-D pairs of the dataset, e.g. de-en,en-de,ar-xx")
    ev.add_argument("--setting", choices=["moir", "clir", "mlir"], help="keep only the pairs of one setting")
    ev.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a model parameter (repeatable), e.g. k1=1.2")
    ev.add_argument("--backbone", metavar="ID_OR_PATH", help="neural models: the Hugging Face checkpoint (same as --param backbone=...)")
    ev.add_argument(
        "--dataset-option", action="append", default=[], metavar="KEY=VALUE",
        help="how the dataset's pairs are built (repeatable; see `harness datasets --format json`), "
        "e.g. candidate_text=sentence+context (XQuAD-R, MLQA-R) or language_draw=hash (mMARCO)",
    )
    ev.add_argument("--measures", help="comma-separated measures (ir-measures names, plus RankDistance), e.g. AP,nDCG@10,RR@10")
    ev.add_argument(
        "--tie-break",
        choices=["trec_eval", "rank"],
        default="trec_eval",
        help="order of tied scores: trec_eval (score, then doc id descending; default) or the run file's rank column",
    )
    _add_compat(ev)
    ev.add_argument("--data-dir", help="data directory (default: $HARNESS_DATA_DIR, else ./data)")
    ev.add_argument("--download", action="store_true", help="fetch missing official data files (checksum-verified) into the data directory")
    ev.add_argument("--name", help="submission name (default: the model name); with --run, store the run under this name")
    ev.add_argument("--submissions", default="submissions", help="submissions folder (default: ./submissions)")
    ev.add_argument("--force", action="store_true", help="redo pairs the submission already holds (--run: replace the stored pair; accept a run none of whose documents is in the pair's collection)")
    ev.add_argument("--per-query", action="store_true", help="with --run: print per-query values too (with --model they are in the submission's per-query.tsv files)")
    ev.add_argument("--format", choices=["table", "json"], default="table")
    ev.add_argument("--quiet", action="store_true", help="no progress bars")
    ev.set_defaults(command="eval")

    cp = commands.add_parser(
        "compare",
        help="compare submissions with paired significance tests; print a table as papers print them",
        description="Rows are systems, columns are language pairs grouped by setting with a macro average per setting. "
        "Every cell is tested against --baseline, or for every pair of systems (--all-pairs, the default); p-values are "
        "corrected over the declared --family and marked in the table, with a legend.",
    )
    cp.add_argument("submissions", nargs="+", metavar="SUB", help="submission names (folders of --submissions) or paths to submission folders")
    against = cp.add_mutually_exclusive_group()
    against.add_argument("--baseline", metavar="SUB", help="test every other system against this one")
    against.add_argument("--all-pairs", action="store_true", help="test every unordered pair of systems once (the default)")
    cp.add_argument("--dataset", help="comma-separated dataset ids or pair ids to keep, e.g. xquad-r or xquad-r/de-en")
    cp.add_argument("--measures", "--measure", dest="measures", help="comma-separated measures (default: every measure all submissions have)")
    cp.add_argument("--test", choices=["randomization", "t", "wilcoxon", "bootstrap"], default="randomization")
    cp.add_argument("--correction", choices=["holm", "bonferroni", "bh", "none"], default="holm")
    cp.add_argument("--family", default="systems,pairs,measures", help="dimensions one correction runs over (default: systems,pairs,measures)")
    cp.add_argument("--alpha", type=float, default=0.05, help="significance level, 0 < alpha < 1 (default 0.05)")
    cp.add_argument("--resamples", type=int, default=10_000, help="permutations / bootstrap resamples, >= 1 (default 10000)")
    cp.add_argument("--seed", type=int, default=0, help="seed of every resampling plan, 0 to 2**32-1 (recorded in the output)")
    cp.add_argument("--margin", type=float, help="equivalence margin for a TOST test, in the measure's units (e.g. 0.01)")
    cp.add_argument(
        "--average-test",
        choices=["pair-means", "pooled"],
        default="pair-means",
        help="test setting averages on per-pair means (default) or on per-query scores pooled over the pairs (slower)",
    )
    cp.add_argument(
        "--common-pairs",
        action="store_true",
        help="compare only the pairs every system holds (default: every pair any system holds; a system without one has an empty cell)",
    )
    cp.add_argument("--format", choices=["markdown", "latex", "csv", "html", "json"], default="markdown")
    cp.add_argument(
        "--display-names", metavar="SYS=NAME,...|FILE.tsv",
        help="the names tables print, e.g. 'bm25=BM25,e5=mE5 small', or a TSV file of SYSTEM<TAB>NAME lines (every format)",
    )
    cp.add_argument("--caption", metavar="TEXT", help="latex, markdown, html: plain text opening the caption (latex) or the legend")
    cp.add_argument("--label", metavar="LABEL", help="latex: the tables' \\label (default tab:DATASET-MEASURE; -MEASURE is added where there are several)")
    cp.add_argument("--siunitx", action="store_true", help="latex: numeric columns as siunitx S columns, aligned on the decimal marker")
    cp.add_argument("--output", metavar="FILE", help="write the table here (atomically) instead of printing it")
    cp.add_argument("--matrix", metavar="SYS[:OTHER]", help="also print a query-language x document-language matrix of SYS (or SYS - OTHER)")
    cp.add_argument("--heatmap", metavar="FILE.png", help="with --matrix: draw it as a heatmap PNG (one file per measure)")
    cp.add_argument("--submissions", dest="submissions_dir", default="submissions", help="where submission names are looked up (default: ./submissions)")
    cp.add_argument("--data-dir", help="data directory, to check the submissions' query ids against their datasets (default: $HARNESS_DATA_DIR, else ./data)")
    cp.add_argument("--quiet", action="store_true", help="no progress bars")
    cp.set_defaults(command="compare")

    sb = commands.add_parser(
        "submit",
        help="store an external run for one pair as a submission (evaluated, with per-query scores)",
        description="Evaluate RUN against a registered pair and store it under --name; call once per pair.",
    )
    sb.add_argument("run", metavar="RUN", help="a TREC run file (plain or .gz)")
    sb.add_argument("--dataset", required=True, help="the pair the run answers, ID/Q-D, e.g. xquad-r/de-en")
    sb.add_argument("--name", required=True, help="submission name (letters, digits, '.', '_', '+', '-')")
    sb.add_argument(
        "--meta",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="description, authors, url, paper, training.languages (comma-separated), training.data, or system.KEY (repeatable)",
    )
    sb.add_argument("--measures", help="comma-separated measures (default: the dataset's)")
    sb.add_argument("--tie-break", choices=["trec_eval", "rank"], default="trec_eval")
    _add_compat(sb)
    sb.add_argument("--data-dir", help="data directory (default: $HARNESS_DATA_DIR, else ./data)")
    sb.add_argument("--download", action="store_true", help="fetch missing official data files (checksum-verified)")
    sb.add_argument("--submissions", default="submissions", help="submissions folder (default: ./submissions)")
    sb.add_argument("--force", action="store_true", help="replace the pair if the submission already holds it; accept a run none of whose documents is in the pair's collection")
    sb.add_argument("--format", choices=["table", "json"], default="table")
    sb.set_defaults(command="submit")

    va = commands.add_parser(
        "validate",
        help="check submission folders or run files; print every problem, one line each",
        description="Exit status 0 when every path is valid, 1 when any has a problem (notes do not count).",
    )
    va.add_argument("paths", nargs="+", metavar="DIR_OR_RUN", help="a submission folder or a TREC run file")
    va.add_argument("--data-dir", help="data directory, to check query ids against the datasets (default: $HARNESS_DATA_DIR, else ./data)")
    va.set_defaults(command="validate")

    lb = commands.add_parser(
        "leaderboard",
        help="write the static HTML leaderboard of every submission (opens from file://)",
        description="An index, a page per dataset (sortable, filterable, significance against the baseline, rank "
        "intervals), a page per system and a page comparing any two systems; paired t-tests throughout.",
    )
    lb.add_argument("--submissions", default="submissions", help="submissions folder (default: ./submissions)")
    lb.add_argument("--out", default="leaderboards", help="site folder (default: ./leaderboards)")
    lb.add_argument("--baseline", help="system the ▲/▼ marks compare with (default: bm25 where present)")
    lb.add_argument("--no-baseline", action="store_true", help="no marks; rank intervals only")
    lb.add_argument("--correction", choices=["holm", "bonferroni", "bh", "none"], default="holm")
    lb.add_argument("--alpha", type=float, default=0.05)
    lb.add_argument("--png-heatmaps", action="store_true", help="matplotlib heatmaps (about a second each) instead of HTML ones")
    lb.add_argument("--data-dir", help="data directory, to check query ids and count each pair's queries (default: $HARNESS_DATA_DIR, else ./data)")
    lb.add_argument("--quiet", action="store_true", help="no progress bars")
    lb.set_defaults(command="leaderboard")

    cs = commands.add_parser(
        "codeswitch",
        help="write a code-switched copy of a training file (BL-CS, ML-CS, Wiki-CS; SPEC section 4)",
        description="IN is UTF-8 TSV, one 'query<TAB>positive[<TAB>negative...]' a line. Prints the share of words switched per side.",
    )
    cs.add_argument("source", metavar="IN")
    cs.add_argument("target", metavar="OUT")
    cs.add_argument("--method", required=True, choices=["bl-cs", "ml-cs", "wiki-cs"])
    cs.add_argument(
        "--lexicon", action="append", required=True, metavar="[LANG=]PATH",
        help="MUSE en-LANG.txt[.gz] (bl-cs, ml-cs) or a title-pair file (wiki-cs); repeatable",
    )
    cs.add_argument("--p", type=float, default=0.5, help="replacement probability per word, 0 to 1 (bl-cs, ml-cs; default 0.5)")
    cs.add_argument("--seed", type=int, default=0)
    cs.add_argument("--policy", choices=["first", "all"], default="first", help="bl-cs, ml-cs: first translation, or one drawn among all")
    cs.add_argument("--query-lang", help="bl-cs: the language queries are switched to (en: unchanged; xx: each switched token into a language drawn from --xx-languages)")
    cs.add_argument("--doc-lang", help="bl-cs: the language documents are switched to (en: unchanged; xx: as for --query-lang)")
    cs.add_argument("--xx-languages", help="bl-cs: comma-separated languages an xx side draws from (default: every --lexicon's language)")
    cs.add_argument("--tokenization", choices=["treebank", "regex"], default="treebank",
                    help="bl-cs, ml-cs: NLTK Treebank tokens as the official code (default), or words replaced in place")
    cs.add_argument("--matching", choices=["official", "tokens"], default="official",
                    help="wiki-cs: the paper's notebook matching (default: substrings, longest first, NLTK stopwords) or whole-token matching")
    cs.add_argument("--format", choices=["table", "json"], default="table")
    cs.set_defaults(command="codeswitch")

    ex = commands.add_parser(
        "export",
        help="write one pair's topics, qrels and documents for pyserini, trec_eval, ir_datasets and PyTerrier",
        description="Writes OUT/topics.tsv, topics.trec, qrels.txt, docs.tsv and jsonl/LANG/docs.jsonl (pyserini's JsonCollection) "
        "with the harness's ids and each document's language, plus manifest.json (counts, and the pyserini commands that "
        "reproduce `harness eval --model bm25`) and README.md. Written atomically; OUT must be new or empty.",
    )
    ex.add_argument("pair", metavar="DATASET/Q-D", help="one pair, e.g. xquad-r/de-en, or xquad-r/de-xx for the multilingual pool")
    ex.add_argument("--out", required=True, metavar="DIR", help="the folder to write (new or empty)")
    ex.add_argument(
        "--dataset-option", action="append", default=[], metavar="KEY=VALUE",
        help="how the pair is built, as for eval (repeatable), e.g. candidate_text=sentence+context",
    )
    ex.add_argument("--data-dir", help="data directory (default: $HARNESS_DATA_DIR, else ./data)")
    ex.add_argument("--download", action="store_true", help="fetch missing official data files (checksum-verified) into the data directory")
    ex.add_argument("--force", action="store_true", help="replace an earlier export in --out (never a folder that holds anything else)")
    ex.add_argument("--quiet", action="store_true", help="no progress bars")
    ex.set_defaults(command="export")

    rp = commands.add_parser(
        "reproduce",
        help="re-run the commands behind a submission's stored scores and check them: OK, OKish or FAIL per pair",
        description="As pyserini's reproduction pages (2CR): each stored pair's command (from meta.json) is re-run into a scratch "
        "submissions folder (never the real one) and every stored measure compared: OK when identical, OKish within --tolerance, "
        "FAIL otherwise or when the re-run fails; SKIP where no command is known (an external run). Exit status 1 on any FAIL "
        "(and, with --strict, any SKIP), else 0.",
    )
    rp.add_argument("name", metavar="NAME", help="a submission (a folder of --submissions) or a path to a submission folder")
    rp.add_argument("--pairs", help="comma-separated pairs to re-run, DATASET/Q-D, or Q-D for that pair of every dataset held (default: all)")
    rp.add_argument("--submissions", default="submissions", help="where NAME is looked up (default: ./submissions)")
    rp.add_argument("--data-dir", help="data directory of the re-runs (default: the one each command gives, read from here, else its default)")
    rp.add_argument("--tolerance", type=float, default=5e-4, help="the largest absolute difference still OKish (default 5e-4)")
    rp.add_argument("--scratch", metavar="DIR", help="an existing folder to keep the re-runs in (default: a temporary folder, removed)")
    rp.add_argument("--fresh-cache", action="store_true", help="build indexes, embeddings and trained models again under the scratch folder (default: reuse the harness cache)")
    rp.add_argument("--strict", action="store_true", help="a pair whose command is unknown (SKIP) fails the check too")
    rp.add_argument("--format", choices=["text", "json"], default="text")
    rp.add_argument("--quiet", action="store_true", help="no progress lines from the re-runs")
    rp.set_defaults(command="reproduce")

    ds = commands.add_parser("datasets", help="list registered datasets (installed plugins' included), their pairs, measures and where data is expected")
    ds.add_argument("--data-dir", help="the data directory whose expected locations are listed (default: $HARNESS_DATA_DIR, else ./data)")
    ds.add_argument("--format", choices=["table", "json"], default="table")
    ds.set_defaults(command="datasets")

    md = commands.add_parser("models", help="list registered model adapters (installed plugins' included) and their parameters")
    md.add_argument("name", nargs="?", help="one model: every parameter with its type, default and meaning")
    md.add_argument("--format", choices=["table", "json"], default="table")
    md.set_defaults(command="models")
    return parser


def _add_compat(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compat",
        choices=COMPAT_CHOICES,
        default="trec_eval-10.0",
        help="evaluation semantics: trec_eval-10.0 (default; reproduces trec_eval's own test outputs) or "
        "trec_eval-9.0.8 = pytrec_eval (what ir-measures computes: float32 scores, 9.0.8's IPrec cut-off)",
    )


# Which eval options apply in which mode; any other option given is refused with its reason.
EVAL_MODES: dict[str, set[str]] = {
    "--model": {"model", "dataset", "pairs", "setting", "param", "backbone", "dataset_option", "measures", "tie_break", "compat",
                "data_dir", "download", "name", "submissions", "force", "format", "quiet"},
    "--run with --qrels": {"run", "qrels", "measures", "tie_break", "compat", "per_query", "format"},
    "--run with --dataset": {"run", "dataset", "measures", "tie_break", "compat", "data_dir", "download", "name", "submissions",
                             "force", "per_query", "format"},
}
OPTION_PURPOSE = {
    "qrels": "it names the judgments of a --run",
    "pairs": "it picks pairs of a dataset for --model",
    "setting": "it picks pairs of a dataset for --model",
    "param": "it sets a parameter of a --model",
    "backbone": "it sets the checkpoint of a neural --model",
    "dataset_option": "it changes the texts a --model ranks; a run is ranked already",
    "per_query": "per-query scores of --model go to the submission's per-query.tsv files",
    "data_dir": "a qrels file needs no data directory",
    "download": "a qrels file needs no dataset files",
    "name": "only an evaluation against a registered pair (--dataset ID/Q-D) is stored as a submission",
    "submissions": "nothing is stored without --name",
    "force": "it redoes stored pairs, or accepts a run none of whose documents is in a registered pair's collection",
    "quiet": "evaluating a run shows no progress bar",
}

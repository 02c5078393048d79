"""The ``harness`` command: parses arguments, calls :mod:`harness.api`, prints. Nothing else lives here."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence

from harness import __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    from harness.errors import HarnessError

    try:
        return args.handler(args, _command_line(argv))
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("harness: interrupted; finished pairs are saved, nothing half-written was kept", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Benchmark harness for cross-lingual information retrieval (MoIR, CLIR, MLIR).",
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    ev = commands.add_parser(
        "eval",
        help="rank and evaluate a model on dataset pairs, or evaluate an existing run",
        description="With --model: rank every requested pair, evaluate it and store a submission. "
        "With --run: evaluate a TREC run against --qrels FILE or a registered pair --dataset ID/Q-D.",
    )
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a registered model adapter (see `harness models`)")
    source.add_argument("--run", help="a TREC run file (plain or .gz) to evaluate")
    ev.add_argument("--dataset", help="dataset id (all standard pairs), or one pair ID/Q-D, e.g. xquad-r/de-en")
    ev.add_argument("--qrels", help="a TREC qrels file, to evaluate --run against")
    ev.add_argument("--pairs", help="comma-separated Q-D pairs of the dataset, e.g. de-en,en-de,ar-xx")
    ev.add_argument("--setting", choices=["moir", "clir", "mlir"], help="keep only the pairs of one setting")
    ev.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a model parameter (repeatable), e.g. k1=1.2")
    ev.add_argument("--backbone", metavar="ID_OR_PATH", help="neural models: the Hugging Face checkpoint (same as --param backbone=...)")
    ev.add_argument("--measures", help="comma-separated measures (ir-measures names, plus RankDistance), e.g. AP,nDCG@10,RR@10")
    ev.add_argument(
        "--tie-break",
        choices=["trec_eval", "rank"],
        default="trec_eval",
        help="order of tied scores: trec_eval (score, then doc id descending; default) or the run file's rank column",
    )
    ev.add_argument("--data-dir", help="data directory (default: $HARNESS_DATA_DIR, else ./data)")
    ev.add_argument("--download", action="store_true", help="fetch missing official data files (checksum-verified) into the data directory")
    ev.add_argument("--name", help="submission name (default: the model name); with --run, store the run under this name")
    ev.add_argument("--submissions", default="submissions", help="submissions folder (default: ./submissions)")
    ev.add_argument("--force", action="store_true", help="redo pairs the submission already holds")
    ev.add_argument("--per-query", action="store_true", help="with --qrels: print per-query values too")
    ev.add_argument("--format", choices=["table", "json"], default="table")
    ev.add_argument("--quiet", action="store_true", help="no progress bars")
    ev.set_defaults(handler=_eval)

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
    cp.add_argument("--measure", help="comma-separated measures (default: every measure all submissions have)")
    cp.add_argument("--test", choices=["randomization", "t", "wilcoxon", "bootstrap"], default="randomization")
    cp.add_argument("--correction", choices=["holm", "bonferroni", "bh", "none"], default="holm")
    cp.add_argument("--family", default="systems,pairs,measures", help="dimensions one correction runs over (default: systems,pairs,measures)")
    cp.add_argument("--alpha", type=float, default=0.05)
    cp.add_argument("--resamples", type=int, default=10_000, help="permutations / bootstrap resamples (default 10000)")
    cp.add_argument("--seed", type=int, default=0, help="seed of every resampling plan (recorded in the output)")
    cp.add_argument("--margin", type=float, help="equivalence margin for a TOST test, in the measure's units (e.g. 0.01)")
    cp.add_argument(
        "--average-test",
        choices=["pair-means", "pooled"],
        default="pair-means",
        help="test setting averages on per-pair means (default) or on per-query scores pooled over the pairs (slower)",
    )
    cp.add_argument("--format", choices=["markdown", "latex", "csv", "html", "json"], default="markdown")
    cp.add_argument("--output", metavar="FILE", help="write the table here (atomically) instead of printing it")
    cp.add_argument("--matrix", metavar="SYS[:OTHER]", help="also print a query-language x document-language matrix of SYS (or SYS - OTHER)")
    cp.add_argument("--heatmap", metavar="FILE.png", help="with --matrix: draw it as a heatmap PNG (one file per measure)")
    cp.add_argument("--submissions", dest="submissions_dir", default="submissions", help="where submission names are looked up (default: ./submissions)")
    cp.add_argument("--quiet", action="store_true", help="no progress bar")
    cp.set_defaults(handler=_compare)

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
    sb.add_argument("--data-dir", help="data directory (default: $HARNESS_DATA_DIR, else ./data)")
    sb.add_argument("--download", action="store_true", help="fetch missing official data files (checksum-verified)")
    sb.add_argument("--submissions", default="submissions", help="submissions folder (default: ./submissions)")
    sb.add_argument("--format", choices=["table", "json"], default="table")
    sb.set_defaults(handler=_submit)

    va = commands.add_parser(
        "validate",
        help="check submission folders or run files; print every problem, one line each",
        description="Exit status 0 when every path is valid, 1 when any has a problem (notes do not count).",
    )
    va.add_argument("paths", nargs="+", metavar="DIR_OR_RUN", help="a submission folder or a TREC run file")
    va.set_defaults(handler=_validate)

    lb = commands.add_parser(
        "leaderboard",
        help="write the static HTML leaderboard of every submission (opens from file://)",
        description="An index, a page per dataset (sortable, filterable, significance against the baseline, rank "
        "intervals), a page per system and a page comparing any two systems; paired t-tests throughout.",
    )
    lb.add_argument("--submissions", default="submissions", help="submissions folder (default: ./submissions)")
    lb.add_argument("--out", default="leaderboards", help="site folder (default: ./leaderboards)")
    lb.add_argument("--baseline", default="bm25", help="system the ▲/▼ marks compare with (default: bm25 where present)")
    lb.add_argument("--no-baseline", action="store_true", help="no marks; rank intervals only")
    lb.add_argument("--correction", choices=["holm", "bonferroni", "bh", "none"], default="holm")
    lb.add_argument("--alpha", type=float, default=0.05)
    lb.add_argument("--png-heatmaps", action="store_true", help="matplotlib heatmaps (about a second each) instead of HTML ones")
    lb.add_argument("--quiet", action="store_true", help="no progress bars")
    lb.set_defaults(handler=_leaderboard)

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
    cs.add_argument("--p", type=float, default=0.5, help="replacement probability per word (bl-cs, ml-cs; default 0.5)")
    cs.add_argument("--seed", type=int, default=0)
    cs.add_argument("--policy", choices=["first", "all"], default="first", help="first translation, or one drawn among all")
    cs.add_argument("--query-lang", help="bl-cs: the language queries are switched to (en: unchanged)")
    cs.add_argument("--doc-lang", help="bl-cs: the language documents are switched to (en: unchanged)")
    cs.add_argument("--format", choices=["table", "json"], default="table")
    cs.set_defaults(handler=_codeswitch)

    ds = commands.add_parser("datasets", help="list registered datasets, their pairs, measures and where data is expected")
    ds.add_argument("--format", choices=["table", "json"], default="table")
    ds.set_defaults(handler=_datasets)

    md = commands.add_parser("models", help="list registered model adapters and their parameters")
    md.add_argument("name", nargs="?", help="one model: every parameter with its type, default and meaning")
    md.add_argument("--format", choices=["table", "json"], default="table")
    md.set_defaults(handler=_models)
    return parser


def _eval(args: argparse.Namespace, command: str) -> int:
    from harness import api
    from harness.errors import HarnessError

    if args.backbone and not args.model:
        raise HarnessError("--backbone goes with --model (a neural adapter), not --run")
    if args.model:
        if not args.dataset:
            raise HarnessError("--model needs --dataset (a dataset id such as xquad-r, or a pair such as xquad-r/de-en)")
        if args.qrels:
            raise HarnessError("--qrels goes with --run, not --model")
        report = api.evaluate(
            args.model,
            args.dataset,
            pairs=args.pairs,
            setting=args.setting,
            model_params=_model_params(args),
            data_dir=args.data_dir,
            name=args.name,
            submissions_dir=args.submissions,
            force=args.force,
            download=args.download,
            progress=not args.quiet,
            command=command,
        )
        _print_report(report, args.format)
        return 0

    result = api.evaluate_run(
        args.run,
        qrels=args.qrels,
        dataset=args.dataset,
        measures=args.measures,
        tie_break=args.tie_break,
        data_dir=args.data_dir,
        name=args.name,
        submissions_dir=args.submissions,
        download=args.download,
        command=command,
    )
    if isinstance(result, api.Report):
        _print_report(result, args.format)
    elif args.format == "json":
        print(json.dumps(result.to_dict(per_query=args.per_query), indent=2))
    else:
        print(_trec_eval_style(result, args.per_query))
    return 0


def _print_report(report, output_format: str) -> None:
    if output_format == "json":
        print(report.to_json())
        return
    print(report.to_table())
    if report.submission is not None:
        note = f" ({len(report.skipped)} pairs already done, kept; --force redoes them)" if report.skipped else ""
        print(f"\nsubmission: {report.submission.root}{note}")


def _trec_eval_style(evaluation, per_query: bool) -> str:
    """``measure<TAB>query<TAB>value`` lines, as trec_eval prints them (``all`` for the mean)."""
    lines = []
    for measure in evaluation.measures:
        if per_query:
            for qid, value in sorted(evaluation.per_query[measure].items()):
                lines.append(f"{measure:<20}\t{qid}\t{value:.4f}")
        lines.append(f"{measure:<20}\tall\t{evaluation.aggregate[measure]:.4f}")
    lines.append(f"{'num_q':<20}\tall\t{evaluation.num_queries}")
    ties = evaluation.ties
    lines.append(f"# ties: {ties.get('tied_neighbours', 0)} tied neighbours in {ties.get('queries_with_ties', 0)} queries; order: {evaluation.semantics.get('tie_order')}")
    if evaluation.unjudged_run_queries:
        lines.append(f"# {len(evaluation.unjudged_run_queries)} run queries have no judgments and were ignored")
    if evaluation.missing_run_queries:
        lines.append(f"# {len(evaluation.missing_run_queries)} judged queries are missing from the run and score 0")
    return "\n".join(lines)


def _compare(args: argparse.Namespace, command: str) -> int:
    from harness import api
    from harness.errors import HarnessError

    if args.heatmap and not args.matrix:
        raise HarnessError("--heatmap draws the --matrix view: give --matrix SYS or SYS:OTHER too")
    comparison = api.compare(
        args.submissions,
        baseline=args.baseline,
        dataset=args.dataset,
        measures=args.measure,
        test=args.test,
        correction=args.correction,
        alpha=args.alpha,
        family=args.family,
        resamples=args.resamples,
        seed=args.seed,
        margin=args.margin,
        average_test=args.average_test,
        submissions_dir=args.submissions_dir,
        progress=not args.quiet,
    )
    for note in comparison.notes:
        if note.startswith("warning:"):
            print(f"harness: {note}", file=sys.stderr)
    rendered = {
        "markdown": comparison.to_markdown,
        "latex": comparison.to_latex,
        "csv": comparison.to_csv,
        "html": comparison.to_html,
        "json": comparison.to_json,
    }[args.format]()
    if args.output:
        from harness.atomic import atomic_write_text

        atomic_write_text(args.output, rendered if rendered.endswith("\n") else rendered + "\n")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(rendered)
    if args.matrix:
        system, _, other = args.matrix.partition(":")
        views = [(d, m.name) for d in dict.fromkeys(c.dataset for c in comparison.columns) for m in comparison.measures]
        for dataset, measure in views:
            matrix = comparison.pair_matrix(system, measure, other or None, dataset=dataset)
            print()
            print(matrix.to_text())
            if args.heatmap:
                suffix = [part for part, many in ((dataset, len({d for d, _ in views}) > 1), (measure, len(comparison.measures) > 1)) if many]
                print(f"wrote {matrix.plot(_suffixed(args.heatmap, suffix))}", file=sys.stderr)
    return 0


def _suffixed(path: str, parts: Sequence[str]) -> str:
    """``heat.png`` for one view; ``heat-AP.png``, ``heat-mlqa-r-R@10.png``, ... for several."""
    if not parts:
        return path
    safe = "-".join("".join(c if c.isalnum() or c in "@._-" else "_" for c in part) for part in parts)
    stem, dot, suffix = path.rpartition(".")
    return f"{stem}-{safe}.{suffix}" if dot else f"{path}-{safe}"


def _submit(args: argparse.Namespace, command: str) -> int:
    from harness import api

    report = api.submit(
        args.run,
        dataset=args.dataset,
        name=args.name,
        meta=_meta_values(args.meta),
        measures=args.measures,
        tie_break=args.tie_break,
        data_dir=args.data_dir,
        submissions_dir=args.submissions,
        download=args.download,
        command=command,
    )
    _print_report(report, args.format)
    return 0


def _meta_values(items: Sequence[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; a value that is JSON is taken as JSON, training.languages as a comma list."""
    values: dict[str, object] = {}
    for key, value in _params(items, "--meta").items():
        if key == "training.languages" and not value.startswith("["):
            values[key] = [lang.strip() for lang in value.split(",") if lang.strip()]
            continue
        try:
            values[key] = json.loads(value) if value[:1] in '[{"' else value
        except json.JSONDecodeError:
            values[key] = value
    return values


def _validate(args: argparse.Namespace, command: str) -> int:
    from harness import api

    invalid = 0
    for path in args.paths:
        findings = api.validate(path)
        problems = [f for f in findings if f.severity == "problem"]
        for finding in findings:
            print(finding)
        invalid += bool(problems)
        summary = f"{len(problems)} problem(s)" if problems else "valid"
        notes = sum(f.severity == "note" for f in findings)
        print(f"{path}: {summary}" + (f", {notes} note(s)" if notes else ""))
    return 1 if invalid else 0


def _codeswitch(args: argparse.Namespace, command: str) -> int:
    from harness import api

    report = api.codeswitch(
        args.source, args.target, method=args.method, lexicons=args.lexicon, p=args.p, seed=args.seed,
        policy=args.policy, query_lang=args.query_lang, doc_lang=args.doc_lang,
    )
    print(json.dumps(report.to_dict(), indent=2) if args.format == "json" else report.summary())
    return 0


def _leaderboard(args: argparse.Namespace, command: str) -> int:
    from harness import api

    site = api.leaderboard(
        args.out,
        submissions_dir=args.submissions,
        baseline=None if args.no_baseline else args.baseline,
        correction=args.correction,
        alpha=args.alpha,
        heatmap_png=args.png_heatmaps,
        progress=not args.quiet,
    )
    for note in site.notes:
        print(f"note: {note}", file=sys.stderr)
    print(site.summary())
    return 0


def _datasets(args: argparse.Namespace, command: str) -> int:
    from harness import api

    rows = api.list_datasets()
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    from tabulate import tabulate

    table = [
        [
            r["id"],
            " ".join(r["languages"]),
            ",".join(r["settings"]),
            r["pairs"],
            _sizes(r["sizes"]),
            "; ".join(f"{s}: {','.join(m)}" for s, m in r["default_measures"].items()),
            r["expected_location"],
        ]
        for r in rows
    ]
    print(tabulate(table, headers=["id", "languages", "settings", "pairs", "sizes", "default measures", "data expected at"]))
    print("\npair ids: DATASET/Q-D (Q query language, D document language, xx = multilingual pool), e.g. xquad-r/de-en, xquad-r/ar-xx")
    return 0


def _sizes(sizes) -> str:
    """``questions 1190/lang; candidates 852-1276/lang; pool 13014``: per-language counts as a range."""
    if not sizes:
        return "?"
    parts = []
    for key, value in sizes.items():
        if isinstance(value, dict) and value:
            low, high = min(value.values()), max(value.values())
            parts.append(f"{key} {low}/lang" if low == high else f"{key} {low}-{high}/lang")
        elif not isinstance(value, dict):
            parts.append(f"{key} {value}")
    return "; ".join(parts)


def _models(args: argparse.Namespace, command: str) -> int:
    from harness import api

    rows = api.list_models()
    if args.format == "json":
        print(json.dumps(rows, indent=2, default=str))
        return 0
    from tabulate import tabulate

    if args.name:
        from harness.models import get_spec

        spec = get_spec(args.name).as_dict()
        print(f"{spec['name']}: {spec['description']}\n")
        print(tabulate([[p["name"], p["type"], p["default"], p["description"]] for p in spec["parameters"]], headers=["parameter", "type", "default", "meaning"]))
        return 0
    # Parameters that all models of a family (those sharing any parameter) have are listed once,
    # so each row shows what is its own.
    names = [{p["name"] for p in row["parameters"]} for row in rows]
    family = [n for n in names if any(n & other for other in names if other is not n)]
    shared = set.intersection(*family) if family else set()
    table = []
    for row in rows:
        own = [f"{p['name']}={p['default']}" for p in row["parameters"] if p["name"] not in shared]
        common = " + shared" if any(p["name"] in shared for p in row["parameters"]) else ""
        table.append([row["name"], row["description"], ", ".join(own) + common])
    print(tabulate(table, headers=["model", "description", "parameters (defaults)"]))
    if shared:
        first = next(r for r in rows if any(p["name"] in shared for p in r["parameters"]))
        print("\nshared: " + ", ".join(f"{p['name']}={p['default']}" for p in first["parameters"] if p["name"] in shared))
        print("(harness models NAME lists one model's parameters with their meaning)")
    return 0


def _model_params(args: argparse.Namespace) -> dict[str, str]:
    """``--param`` values plus ``--backbone`` (given twice is an error)."""
    from harness.errors import HarnessError

    params = _params(args.param)
    if args.backbone:
        if "backbone" in params:
            raise HarnessError("give the backbone once: --backbone or --param backbone=..., not both")
        params["backbone"] = args.backbone
    return params


def _params(pairs: Sequence[str], option: str = "--param") -> dict[str, str]:
    from harness.errors import HarnessError

    out = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HarnessError(f"{option} {item!r}: expected KEY=VALUE, e.g. {'k1=1.2' if option == '--param' else 'description=...'}")
        out[key] = value
    return out


def _command_line(argv: Sequence[str] | None) -> str:
    words = list(sys.argv[1:] if argv is None else argv)
    return shlex.join(["harness", *words])


if __name__ == "__main__":
    sys.exit(main())

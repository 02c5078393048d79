"""The ``harness`` command: parses arguments, calls :mod:`harness.api`, prints. Nothing else lives here."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
from collections.abc import Sequence

from harness.cli_parser import EVAL_MODES, OPTION_PURPOSE, build_parser
from harness.cli_reproduce import reproduce_command


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    from harness.errors import HarnessError, Interrupted

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        _refuse_empty_values(parser, args)
        return _HANDLERS[args.command](parser, args, _command_line(argv))
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        from harness.extras import missing_extra

        if (line := missing_extra(exc)) is None:
            raise
        print(f"harness: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("harness: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output (head, less) has gone: nothing to report, and no traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    finally:
        signal.signal(signal.SIGTERM, previous)


def _refuse_empty_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """An empty value (``--name ""``, ``--data-dir ""``) is a mistake, never a request for a default."""
    from harness.errors import HarnessError

    for action in _subparser(parser, args.command)._actions:
        value = getattr(args, action.dest, None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and not item.strip():
                shown = "/".join(action.option_strings) or (action.metavar or action.dest)
                raise HarnessError(f"{shown}: empty value; expected {action.metavar or action.dest.upper()}")


def _terminate(signum, frame) -> None:
    """SIGTERM ends the work the way Ctrl-C does: finished pairs kept, one line, no traceback."""
    raise KeyboardInterrupt


def _eval(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api
    from harness.errors import HarnessError

    mode = "--model" if args.model else "--run with --qrels" if args.qrels else "--run with --dataset"
    _refuse_inapplicable(parser, args, mode)
    if args.model and not args.dataset:
        raise HarnessError("--model needs --dataset (a dataset id such as xquad-r, or a pair such as xquad-r/de-en)")
    if args.run and not (args.qrels or args.dataset):
        raise HarnessError("--run needs --qrels FILE or --dataset ID/Q-D to be evaluated against")
    if args.run and args.name is None and _given(parser, args, "submissions"):
        raise HarnessError(f"--submissions does not apply here: {OPTION_PURPOSE['submissions']}")
    if args.model:
        report = api.evaluate(
            args.model,
            args.dataset,
            pairs=args.pairs,
            setting=args.setting,
            model_params=_model_params(args),
            dataset_options=_params(args.dataset_option, "--dataset-option"),
            measures=args.measures,
            tie_break=args.tie_break,
            compat=args.compat,
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
        compat=args.compat,
        data_dir=args.data_dir,
        name=args.name,
        submissions_dir=args.submissions,
        force=args.force,
        download=args.download,
        command=command,
    )
    if isinstance(result, api.Report):
        _print_report(result, args.format, per_query=args.per_query)
    elif args.format == "json":
        print(json.dumps(result.to_dict(per_query=args.per_query), indent=2))
    else:
        print(api.trec_eval_text(result, args.per_query))
    return 0


def _refuse_inapplicable(parser: argparse.ArgumentParser, args: argparse.Namespace, mode: str) -> None:
    """Every option given must take effect in this mode; the others are refused with their reason."""
    from harness.errors import HarnessError

    for option in vars(args):
        if option != "command" and option not in EVAL_MODES[mode] and _given(parser, args, option):
            reason = OPTION_PURPOSE.get(option, "it has no effect here")
            raise HarnessError(f"--{option.replace('_', '-')} does not apply to eval {mode}: {reason}")


def _given(parser: argparse.ArgumentParser, args: argparse.Namespace, option: str) -> bool:
    return getattr(args, option) not in (None, False, [], _subparser(parser, args.command).get_default(option))


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[command]


def _print_report(report, output_format: str, per_query: bool = False) -> None:
    from harness import api

    for warning in report.warnings:
        print(f"harness: warning: {warning}", file=sys.stderr)
    if output_format == "json":
        print(report.to_json(per_query=per_query))
        return
    print(report.to_table())
    if per_query:
        for pair, evaluation in report.evaluations.items():
            print(f"\n# {pair}\n{api.trec_eval_text(evaluation, True)}")
    if report.submission is not None:
        note = f" ({len(report.skipped)} pairs already done, kept; --force redoes them)" if report.skipped else ""
        print(f"\nsubmission: {report.submission.root}{note}")


def _compare(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api
    from harness.errors import HarnessError

    if args.heatmap and not args.matrix:
        raise HarnessError("--heatmap draws the --matrix view: give --matrix SYS or SYS:OTHER too")
    for option, formats in (("siunitx", ("latex",)), ("label", ("latex",)), ("caption", ("latex", "markdown", "html"))):
        if getattr(args, option) and args.format not in formats:
            raise HarnessError(f"--{option} shapes --format {' or '.join(formats)} output; --format {args.format} has no use for it")
    for option, path in (("--output", args.output), ("--heatmap", args.heatmap)):
        if path is not None:
            api.check_output_file(path, option)
    comparison = api.compare(
        args.submissions,
        baseline=args.baseline,
        dataset=args.dataset,
        measures=args.measures,
        test=args.test,
        correction=args.correction,
        alpha=args.alpha,
        family=args.family,
        resamples=args.resamples,
        seed=args.seed,
        margin=args.margin,
        average_test=args.average_test,
        common_pairs=args.common_pairs,
        display_names=args.display_names,
        submissions_dir=args.submissions_dir,
        data_dir=args.data_dir,
        progress=not args.quiet,
    )
    rendered = {
        "markdown": lambda: comparison.to_markdown(caption=args.caption),
        "latex": lambda: comparison.to_latex(caption=args.caption, label=args.label, siunitx=args.siunitx),
        "csv": comparison.to_csv,
        "html": lambda: comparison.to_html(caption=args.caption),
        "json": comparison.to_json,
    }[args.format]()
    for note in comparison.notes:  # after rendering: a refused --label is the one line of its error
        if note.startswith("warning:"):
            print(f"harness: {note}", file=sys.stderr)
    if args.output:
        api.write_text(args.output, rendered)
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


def _submit(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api

    report = api.submit(
        args.run,
        dataset=args.dataset,
        name=args.name,
        meta=_meta_values(args.meta),
        measures=args.measures,
        tie_break=args.tie_break,
        compat=args.compat,
        data_dir=args.data_dir,
        submissions_dir=args.submissions,
        force=args.force,
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


def _validate(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api

    invalid = 0
    for path in args.paths:
        findings = api.validate(path, data_dir=args.data_dir)
        problems = [f for f in findings if f.severity == "problem"]
        for finding in findings:
            print(finding)
        invalid += bool(problems)
        summary = f"{len(problems)} problem(s)" if problems else "valid"
        notes = sum(f.severity == "note" for f in findings)
        print(f"{path}: {summary}" + (f", {notes} note(s)" if notes else ""))
    return 1 if invalid else 0


def _codeswitch(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api

    # the parser's defaults stand for "not given": the API refuses an option where it does not apply
    given = {option: getattr(args, option) if _given(parser, args, option) else None for option in ("p", "policy", "tokenization", "matching")}
    report = api.codeswitch(
        args.source, args.target, method=args.method, lexicons=args.lexicon, seed=args.seed, **given,
        query_lang=args.query_lang, doc_lang=args.doc_lang, xx_languages=args.xx_languages.split(",") if args.xx_languages else None,
    )
    print(json.dumps(report.to_dict(), indent=2) if args.format == "json" else report.summary())
    return 0


def _leaderboard(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from pathlib import Path

    from harness import api
    from harness.errors import HarnessError

    baseline = args.baseline
    if args.no_baseline and baseline is not None:
        raise HarnessError("--baseline and --no-baseline contradict each other; give one")
    if baseline is not None and not (Path(args.submissions) / baseline / "meta.json").is_file():
        raise HarnessError(f"--baseline {baseline}: no such submission in {args.submissions}")
    site = api.leaderboard(
        args.out,
        submissions_dir=args.submissions,
        baseline=None if args.no_baseline else baseline or "bm25",
        correction=args.correction,
        alpha=args.alpha,
        heatmap_png=args.png_heatmaps,
        data_dir=args.data_dir,
        progress=not args.quiet,
    )
    for note in site.notes:
        print(f"note: {note}", file=sys.stderr)
    print(site.summary())
    return 0


def _export(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api

    exported = api.export_pair(
        args.pair, args.out, data_dir=args.data_dir, dataset_options=_params(args.dataset_option, "--dataset-option"),
        force=args.force, download=args.download, progress=not args.quiet,
    )
    print(exported.summary())
    return 0


def _datasets(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api

    rows = api.list_datasets(args.data_dir)
    print(json.dumps(rows, indent=2) if args.format == "json" else api.datasets_text(rows))
    return 0


def _models(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    from harness import api

    if args.name:
        spec = api.model_spec(args.name)
        print(json.dumps(spec, indent=2, default=str) if args.format == "json" else api.model_text(spec))
        return 0
    rows = api.list_models()
    print(json.dumps(rows, indent=2, default=str) if args.format == "json" else api.models_text(rows))
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


_EXAMPLES = {"--param": "k1=1.2", "--meta": "description=...", "--dataset-option": "candidate_text=sentence+context"}


def _params(pairs: Sequence[str], option: str = "--param") -> dict[str, str]:
    from harness.errors import HarnessError

    out = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise HarnessError(f"{option} {item!r}: expected KEY=VALUE, e.g. {_EXAMPLES[option]}")
        out[key] = value
    return out


def _command_line(argv: Sequence[str] | None) -> str:
    words = list(sys.argv[1:] if argv is None else argv)
    return shlex.join(["harness", *words])


_HANDLERS = {
    "eval": _eval, "compare": _compare, "submit": _submit, "validate": _validate, "leaderboard": _leaderboard,
    "codeswitch": _codeswitch, "export": _export, "datasets": _datasets, "models": _models,
    "reproduce": reproduce_command,
}


if __name__ == "__main__":
    sys.exit(main())

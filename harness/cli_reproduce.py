"""The ``harness reproduce`` command: calls :func:`harness.api.reproduce` and prints its verdicts."""
from __future__ import annotations

import argparse


def reproduce_command(parser: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> int:
    """Print the table (or JSON); exit 1 on any FAIL (or SKIP under ``--strict``), else 0."""
    from harness import api

    result = api.reproduce(
        args.name, pairs=args.pairs, submissions_dir=args.submissions, data_dir=args.data_dir, tolerance=args.tolerance,
        scratch=args.scratch, fresh_cache=args.fresh_cache, strict=args.strict, progress=not args.quiet,
    )
    print(result.to_json() if args.format == "json" else result.to_text())
    return result.exit_status()

"""Does fine-tuning move a backbone's numbers? A short real run of every training adapter
(zero-shot, BL-CS, ML-CS, translate-train) on a backbone, against that backbone used as it is
(``dense``), on a few XQuAD-R pairs. Issue 12's check that the multilingual backbone trains;
``--adapters`` runs others (issue 13's methods against zero-shot on the same backbone).

    .venv/bin/python experiments/finetuning_smoke.py --train-limit 800 --batch-size 16   # e5, es-en and zh-es: ~40 min on 2 CPU cores
    .venv/bin/python experiments/finetuning_smoke.py --train-limit 800 --batch-size 16 \
        --adapters zero-shot,translate-test,hybrid-batch,optical --extra optical:bitext_limit=800

The pairs default to languages that every adapter can train for (translate-train needs translated
SQuAD: es, it, zh). These are short runs (``--train-limit`` examples, one epoch by default), not
the experiments: the results go to a scratch submissions folder (``--submissions``, default
``build/finetuning-smoke``), and a before/after table (AP, R@1, R@10 and the training's steps and
seconds) is printed at the end.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import api  # noqa: E402
from harness.errors import HarnessError  # noqa: E402

ADAPTERS = "dense,zero-shot,bl-cs,ml-cs,translate-train"
MEASURES = ("AP", "R@1", "R@10")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="intfloat/multilingual-e5-small")
    parser.add_argument("--pairs", default="es-en,zh-es", help="XQuAD-R pairs, comma-separated")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--submissions", default=str(ROOT / "build" / "finetuning-smoke"))
    parser.add_argument("--train-limit", type=int, default=1600, help="training examples per model (a seeded sample)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--adapters", default=ADAPTERS, help="comma-separated adapters, in order")
    parser.add_argument("--extra", action="append", default=[], metavar="ADAPTER:KEY=VALUE", help="a parameter for one adapter; repeatable")
    args = parser.parse_args()
    extra: dict[str, dict[str, str]] = {}
    for item in args.extra:
        adapter, _, assignment = item.partition(":")
        key, _, value = assignment.partition("=")
        if not (adapter and key and value):
            parser.error(f"--extra {item!r}: expected ADAPTER:KEY=VALUE")
        extra.setdefault(adapter, {})[key] = value
    label = args.backbone.rstrip("/").rsplit("/", 1)[-1].lower()
    encoding = {"backbone": args.backbone, "device": args.device}
    training = {**encoding, "train_limit": args.train_limit, "epochs": args.epochs, "batch_size": args.batch_size,
                "learning_rate": args.learning_rate, "seed": args.seed}
    rows: dict[str, dict[str, dict]] = {}
    for adapter in args.adapters.split(","):
        params = {**(encoding if adapter == "dense" else training), **extra.get(adapter, {})}
        name = f"smoke-{label}-{adapter}"
        command = f"harness eval --model {adapter} --dataset xquad-r --pairs {args.pairs} --name {name} " + " ".join(
            f"--param {k}={v}" for k, v in params.items())
        started = time.perf_counter()
        try:
            report = api.evaluate(adapter, "xquad-r", pairs=args.pairs, model_params=params, data_dir=args.data_dir, name=name,
                                  submissions_dir=args.submissions, command=command)
        except HarnessError as error:
            print(f"{adapter}: not run: {error}", flush=True)
            continue
        print(f"{adapter}: {time.perf_counter() - started:.0f} s", flush=True)
        rows[adapter] = {record.pair.split("/")[1]: {**record.measures, **_training(record.details)} for record in report.records}
    print(f"\nXQuAD-R, backbone {args.backbone}: {args.train_limit} training examples, {args.epochs} epoch(s), batch {args.batch_size}, "
          f"lr {args.learning_rate}, seed {args.seed}")
    pairs = args.pairs.split(",")
    header = "adapter".ljust(16) + "".join(f"{pair} {measure}".rjust(13) for pair in pairs for measure in MEASURES) + "   steps  train s"
    print(header)
    for adapter, by_pair in rows.items():
        cells = "".join(f"{by_pair.get(pair, {}).get(measure, float('nan')):13.4f}" for pair in pairs for measure in MEASURES)
        logs = [by_pair[pair] for pair in pairs if "steps" in by_pair.get(pair, {})]
        trained = "/".join(str(log["steps"]) for log in logs) or "-"
        seconds = "/".join(f"{log['seconds']:.0f}" for log in logs) or "-"
        print(adapter.ljust(16) + cells + trained.rjust(8) + seconds.rjust(9))
    return 0


def _training(details: dict) -> dict:
    """The steps and seconds of the pair's model's training, where the run records one."""
    log = (details.get("run") or {}).get("training_log") or details.get("training_log")
    return {"steps": log["steps"], "seconds": log["seconds"]} if isinstance(log, dict) else {}


if __name__ == "__main__":
    raise SystemExit(main())

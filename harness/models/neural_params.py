"""The declared parameters of the neural adapters and the training presets of the shared ones.

``ENCODER_PARAMS`` describe an encoder (every neural adapter, ``dense`` included);
``COMMON_PARAMS`` add training, as zero-shot, translate-train, BL-CS, ML-CS and Wiki-CS share it.
Their training parameters default to ``None``, "the preset's": ``preset=cpu`` (the default) holds
the harness's CPU defaults, ``preset=paper`` the code-switching paper's official cross-encoder
training (``mainlp/CodeSwitchCLIR@729dff8:scripts/run_finetuning.sh`` with ``src/train_ranker.py``
and the pointwise sampling of ``src/train_data/baseline_zeroshot.py``). A parameter given
explicitly wins over the preset (:mod:`harness.training.presets`).
"""
from __future__ import annotations

from harness.models.backbone import DEFAULT_BACKBONE
from harness.models.registry import Param
from harness.training.presets import Preset, PresetFamily

DEFAULT_MAX_LENGTH = 128
CROSS_SAMPLINGS = ("batch", "official")
OFFICIAL_NEGATIVES = 4
"""Negatives per positive in the paper's pointwise data (``pos_neg_ratio`` of baseline_zeroshot.py)."""

PAPER_CODE = "mainlp/CodeSwitchCLIR@729dff8"
TRAINING_PRESETS = PresetFamily(
    (
        Preset(
            "cpu",
            {"architecture": "bi", "epochs": 1, "batch_size": 32, "learning_rate": 2e-5, "weight_decay": 0.01, "warmup": 0.1,
             "mixed_precision": "auto", "cross_sampling": "batch"},
            "ours: the harness's defaults, sized for a CPU",
        ),
        Preset(
            "paper",
            {"architecture": "cross", "max_length": 512, "batch_size": 64, "learning_rate": 2e-5, "weight_decay": 0.01,
             "warmup_steps": 5000, "max_steps": 200_000, "mixed_precision": "fp16", "cross_sampling": "official"},
            f"paper: {PAPER_CODE}:scripts/run_finetuning.sh and src/train_ranker.py (the cross-encoder training of every model)",
            (
                "the paper reports the mean over seeds 1, 2 and 3: train one model each with --param seed=1, seed=2, seed=3",
                "its backbone nreimers/mMiniLMv2-L6-H384-distilled-from-XLMR-Large is not available offline: give --backbone",
                "fp16 needs a CUDA device; on a CPU add mixed_precision=no",
                "its learning rate decays toward step len(train)//64 (312,500 for its 20M examples), ending near 37% of the peak "
                "at step 200,000; here it decays to 0 at max_steps",
                "it keeps the checkpoint with the best loss on 200 held-out training queries (evaluated every 20,000 steps); "
                "here the last one",
                "it reads 20M lines of sentence-transformers' shuffled msmarco-qidpidtriples (train_limit=20000000); the msmarco "
                "source here reads MS MARCO's triples.train.small in file order (100,000 unless train_limit is given)",
                "it truncates a pair to min(tokenizer.max_len_sentences_pair, 512) tokens and uses transformers' AdamW (eps 1e-6); "
                "here 512 tokens and torch's AdamW (eps 1e-8)",
            ),
        ),
    ),
    default="cpu",
    alternatives=(("warmup", "warmup_steps"), ("epochs", "max_steps")),
)
PRESET_ORIGIN = f"preset=paper: {PAPER_CODE}:scripts/run_finetuning.sh; preset=cpu: ours"


def _preset(text: str, key: str) -> str:
    return f"{text} (default: the preset's: {TRAINING_PRESETS.summary(key)})"


ENCODER_PARAMS: tuple[Param, ...] = (
    Param("backbone", "str", DEFAULT_BACKBONE, "Hugging Face checkpoint: hub id or local folder (sentence-transformers folders too)"),
    Param("pooling", "str", None, "bi-encoder pooling: mean, cls, max or lasttoken, as sentence-transformers computes them "
          "(default: the checkpoint's sentence-transformers setting, else mean)"),
    Param("query_prefix", "str", None, "text put before every query, e.g. 'query: ' "
          "(default: the checkpoint's sentence-transformers query prompt, else none; an empty value for none)"),
    Param("document_prefix", "str", None, "text put before every document, e.g. 'passage: ' "
          "(default: the checkpoint's sentence-transformers document prompt, else none; an empty value for none)"),
    Param("similarity", "str", "cosine", "bi-encoder score: cosine or dot (dot of unit vectors where the checkpoint normalises)"),
    Param("max_length", "int", None, "tokens per text, prefix included (per query+document pair for cross) "
          f"(default: the checkpoint's sentence-transformers max_seq_length, else {DEFAULT_MAX_LENGTH})"),
    Param("encode_batch_size", "int", 128, "texts per inference batch"),
    Param("device", "str", "auto", "auto (cuda if available), cpu, cuda, cuda:N"),
)

# max_length stays ENCODER_PARAMS' own (adapters tell encoder from training parameters by identity); preset=paper sets it to 512
COMMON_PARAMS: tuple[Param, ...] = ENCODER_PARAMS + (
    Param("preset", "str", TRAINING_PRESETS.default, "training preset: cpu (the harness's CPU defaults) or paper (the code-switching paper's "
          "cross-encoder training: max length 512, batch 64, lr 2e-5, weight decay 0.01, 5,000 warm-up steps, 200,000 steps, fp16, "
          "official sampling); a parameter given explicitly wins over it", PRESET_ORIGIN),
    Param("architecture", "str", None, _preset("bi (bi-encoder, ranks the pool) or cross (cross-encoder, re-ranks a first stage)", "architecture"),
          PRESET_ORIGIN),
    Param("train_data", "str", None, "training source: squad or msmarco (default: the dataset's track, squad for XQuAD-R/MLQA-R)",
          "paper: msmarco (mMARCO track); ours: squad for the LAReQA track"),
    Param("train_limit", "int", None, "use only the first N training examples", "ours"),
    Param("negatives", "int", None, "negatives per query: hard ones from the source, for cross filled from the batch; with cross_sampling="
          f"official, negatives per positive (default: 0 bi, 3 cross, {OFFICIAL_NEGATIVES} official)",
          f"paper: {OFFICIAL_NEGATIVES} per positive ({PAPER_CODE}:src/train_data/baseline_zeroshot.py); ours otherwise"),
    Param("cross_sampling", "str", None, _preset(
        "cross-encoder training pairs: batch (each query's positive, its hard negatives, then other queries' positives from the "
        "batch) or official (pointwise, as the paper's code: of every 1+negatives source triples in order, the first gives its "
        "positive, the others their negative passage)", "cross_sampling"),
        f"official: paper ({PAPER_CODE}:src/train_data/baseline_zeroshot.py); batch: ours"),
    Param("epochs", "int", None, _preset("training epochs; 0 ranks with the untrained backbone (the dense adapter does that without a "
          "training record)", "epochs"), PRESET_ORIGIN),
    Param("max_steps", "int", None, _preset("optimizer steps in place of epochs (reshuffled epochs, as many as the steps need)", "max_steps"),
          PRESET_ORIGIN),
    Param("batch_size", "int", None, _preset("examples per forward pass (InfoNCE's in-batch negatives)", "batch_size"), PRESET_ORIGIN),
    Param("learning_rate", "float", None, _preset("AdamW peak learning rate", "learning_rate"), PRESET_ORIGIN),
    Param("weight_decay", "float", None, _preset("AdamW weight decay (none on biases and LayerNorm)", "weight_decay"), PRESET_ORIGIN),
    Param("warmup", "float", None, _preset("share of steps of linear warm-up", "warmup"), PRESET_ORIGIN),
    Param("warmup_steps", "int", None, _preset("linear warm-up steps in place of the share warmup", "warmup_steps"), PRESET_ORIGIN),
    Param("grad_accumulation", "int", 1, "forward passes per optimizer step", "ours"),
    Param("temperature", "float", 0.05, "InfoNCE temperature for unit-length embeddings", "ours"),
    Param("mixed_precision", "str", None, _preset("auto (bf16/fp16 on CUDA, none on CPU), no, bf16, fp16", "mixed_precision"), PRESET_ORIGIN),
    Param("seed", "int", 0, "seed of shuffling, negatives, code-switching and initialisation (the paper reports the mean of seeds 1, 2, 3: "
          "one run each)", "ours (paper: seeds 1-3)"),
    Param("first_stage_depth", "int", 100, "cross: BM25 candidates re-ranked where the protocol gives none", "ours"),
)

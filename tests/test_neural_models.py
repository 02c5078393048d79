"""Bi-/cross-encoders, the training loop, and the model and embedding caches, on a tiny random
BERT (tests/neural_toys.py). How backbones load (prompts, pooling, agreement with
sentence-transformers) is tests/test_backbone_loading.py."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.errors import HarnessError
from harness.models.backbone import load_encoder, resolve_backbone
from harness.models.bi_encoder import BiEncoder
from harness.models.cross_encoder import CrossEncoder
from harness.models.dense_ranking import rank_candidates, rank_pool
from harness.models.embedding_cache import EmbeddingCache
from harness.models.saved import load_model, save_model
from harness.training.examples import TrainingExample, TrainingSet
from harness.training.loop import TrainingConfig, parameter_groups, resolve_precision, train
from harness.training.losses import binary_cross_entropy, info_nce
from harness.training.model_cache import ModelCache, model_key

TEXTS = ["Where is the house?", "The house is red.", "Paris is the capital of France.", "Water", "Das Haus ist rot und der Fluss fliesst durch die Stadt."]
EXAMPLES = [TrainingExample(f"where is city {i}?", f"city {i} is in country {i}", (f"the house {i} is red",)) for i in range(24)]


def test_missing_backbones_fail_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(HarnessError, match="does not exist"):
        resolve_backbone(str(tmp_path / "nowhere" / "model.bin"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HarnessError) as error:
        load_encoder(resolve_backbone("no-such-org/no-such-model-xyz"))
    assert "\n" not in str(error.value) and "no-such-org/no-such-model-xyz" in str(error.value)


def test_length_sorted_encoding_keeps_the_input_order(tiny_backbone: Path) -> None:
    model = BiEncoder.from_backbone(resolve_backbone(str(tiny_backbone)), pooling="mean")
    batched = model.encode(TEXTS, "document", batch_size=2)
    alone = np.vstack([model.encode([text], "document") for text in TEXTS])
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)  # cosine: unit vectors
    dot = BiEncoder.from_backbone(resolve_backbone(str(tiny_backbone)), similarity="dot").encode(TEXTS, "document")
    assert not np.allclose(np.linalg.norm(dot, axis=1), 1.0)


def test_losses_match_their_definitions() -> None:
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    documents = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, -1.0]])
    logits = (queries @ documents.T / 0.5).tolist()
    expected = np.mean([math.log(sum(math.exp(x) for x in row)) - row[i] for i, row in enumerate(logits)])
    assert info_nce(queries, documents, 0.5).item() == pytest.approx(expected, rel=1e-6)
    bce = binary_cross_entropy(torch.tensor([2.0, -1.0]), torch.tensor([1.0, 0.0])).item()
    assert bce == pytest.approx(np.mean([math.log1p(math.exp(-2.0)), math.log1p(math.exp(-1.0))]), rel=1e-6)


def test_weight_decay_spares_biases_and_layer_norms(tiny_backbone: Path) -> None:
    model = BiEncoder.from_backbone(resolve_backbone(str(tiny_backbone)))
    decay, no_decay = parameter_groups(model, 0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(not names[id(p)].endswith("bias") and "LayerNorm" not in names[id(p)] for p in decay["params"])
    assert all(names[id(p)].endswith("bias") or "LayerNorm" in names[id(p)] for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(names) and no_decay["weight_decay"] == 0.0


def test_training_config_counts_steps_and_refuses_nonsense() -> None:
    assert TrainingConfig(epochs=2, batch_size=8, grad_accumulation=2).steps(24) == 4  # 3 batches -> 2 steps, twice
    assert TrainingConfig(epochs=1, batch_size=5).steps(24) == 5
    with pytest.raises(HarnessError, match="batch_size"):
        TrainingConfig(batch_size=0)
    with pytest.raises(HarnessError, match="mixed_precision"):
        TrainingConfig(mixed_precision="fp8")
    assert resolve_precision("auto", torch.device("cpu")) == "no"
    with pytest.raises(HarnessError, match="CUDA"):
        resolve_precision("bf16", torch.device("cpu"))


@pytest.mark.parametrize("architecture", [BiEncoder, CrossEncoder])
def test_training_lowers_the_loss_and_one_seed_gives_the_same_weights(tiny_backbone: Path, architecture) -> None:
    config = TrainingConfig(epochs=4, batch_size=8, learning_rate=2e-3, warmup=0.25, seed=3)

    def trained():
        torch.manual_seed(0)  # the cross-encoder's fresh head
        model = architecture.from_backbone(resolve_backbone(str(tiny_backbone)))
        return model, train(model, EXAMPLES, config, progress=False)

    (first, log), (second, _) = trained(), trained()
    assert log.steps == config.steps(len(EXAMPLES)) == 12 and log.examples_seen == 4 * len(EXAMPLES)
    assert np.mean(log.losses[-3:]) < np.mean(log.losses[:3])
    for (name, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        assert torch.equal(a, b), name


def test_warmup_starts_the_learning_rate_at_zero(tiny_backbone: Path) -> None:
    model = BiEncoder.from_backbone(resolve_backbone(str(tiny_backbone)))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    train(model, EXAMPLES[:8], TrainingConfig(epochs=1, batch_size=8, learning_rate=1.0, warmup=1.0), progress=False)
    # one step at learning rate 0 (the first of a warm-up over every step) leaves the weights as they were
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())


# The weights come back bit for bit (checked exactly); the outputs are compared within a relative
# tolerance because identical float32 weights in differently aligned buffers (safetensors' against
# a fresh model's) take different vectorised kernel paths with another summation order, on one
# thread too: the cross-encoder's logits then differ by 1-2 ulps (~1e-9 on 0.0066, 1.4e-7
# relative; cloning the weights into fresh buffers makes them equal). That noise is 1/70 of 1e-5,
# and scaling every weight by 1.001 moves the outputs ~100x (bi) and ~290x (cross) beyond it,
# which the test checks, so a model that does not load back still fails.
OUTPUT_RTOL = 1e-5


def test_saved_models_load_back_identically(tiny_backbone: Path, tmp_path: Path) -> None:
    backbone = resolve_backbone(str(tiny_backbone))
    bi = BiEncoder.from_backbone(backbone, pooling="cls", similarity="dot", max_length=32, query_prefix="q: ", include_prompt=False)
    torch.manual_seed(0)
    cross = CrossEncoder.from_backbone(backbone, max_length=48)
    pairs = [("Where is the house?", "The house is red."), ("Water", "Paris")]
    for name, model, outputs in (("bi", bi, lambda m: m.encode(TEXTS, "query")), ("cross", cross, lambda m: m.score(pairs))):
        save_model(model, tmp_path / name)
        assert (tmp_path / name / "model.safetensors").is_file()
        loaded = load_model(tmp_path / name)
        assert type(loaded) is type(model) and loaded.settings() == model.settings()
        saved_weights, loaded_weights = model.state_dict(), loaded.state_dict()
        assert saved_weights.keys() == loaded_weights.keys()
        assert all(torch.equal(saved_weights[key], loaded_weights[key]) for key in saved_weights), name
        expected = outputs(model)
        np.testing.assert_allclose(outputs(loaded), expected, rtol=OUTPUT_RTOL, atol=0, err_msg=name)
        with torch.no_grad():
            for parameter in loaded.parameters():
                parameter.mul_(1.001)
        assert not np.allclose(outputs(loaded), expected, rtol=OUTPUT_RTOL, atol=0), f"{name}: the tolerance hides changed weights"


def test_model_keys_change_with_every_input_and_entries_appear_whole(tmp_path: Path) -> None:
    base = ("bl-cs", {"p": 0.5}, "weights1", "data1", 0)
    variants = [("ml-cs", {"p": 0.5}, "weights1", "data1", 0), ("bl-cs", {"p": 0.4}, "weights1", "data1", 0),
                ("bl-cs", {"p": 0.5}, "weights2", "data1", 0), ("bl-cs", {"p": 0.5}, "weights1", "data2", 0),
                ("bl-cs", {"p": 0.5}, "weights1", "data1", 1)]
    assert len({model_key(*base), *(model_key(*v) for v in variants)}) == 6
    cache = ModelCache(tmp_path)
    assert cache.metadata("k") is None

    def fail(folder: Path) -> None:
        (folder / "partial").write_text("x")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cache.store("k", fail, {})
    assert list(tmp_path.iterdir()) == []  # nothing half-written
    cache.store("k", lambda folder: (folder / "w").write_text("x"), {"languages": ["en"]})
    assert cache.metadata("k") == {"languages": ["en"]}


def test_training_set_fingerprint_is_content(tmp_path: Path) -> None:
    one = TrainingSet("a", ("en",), ("en",), tuple(EXAMPLES[:3]))
    assert one.fingerprint() == TrainingSet("b", ("de",), ("en",), tuple(EXAMPLES[:3])).fingerprint()
    assert one.fingerprint() != one.with_examples(EXAMPLES[:2]).fingerprint()
    cut = TrainingSet("a", ("en",), ("en",), tuple(EXAMPLES)).subset(5, seed=1)
    assert cut.notes == {"subset": {"limit": 5, "available": 24, "seed": 1}} and len(one.subset(None, 0)) == 3
    assert cut.examples == TrainingSet("a", ("en",), ("en",), tuple(EXAMPLES)).subset(5, seed=1).examples
    assert list(cut.examples) == sorted(cut.examples, key=EXAMPLES.index) and cut.examples != tuple(EXAMPLES[:5])


def test_embedding_cache_encodes_a_text_set_once(tmp_path: Path) -> None:
    cache, calls = EmbeddingCache(tmp_path), []

    def encode(texts):
        calls.append(len(texts))
        return np.arange(len(texts) * 2, dtype=np.float32).reshape(-1, 2)

    first = cache.get("model-a", ["x", "y"], encode)
    np.testing.assert_array_equal(cache.get("model-a", ["x", "y"], encode), first)
    cache.get("model-b", ["x", "y"], encode)
    np.testing.assert_array_equal(cache.get("model-a", ["y", "x"], encode), first[::-1])  # rows this object holds
    assert calls == [2, 2] and (cache.hits, cache.misses) == (1, 3)


def test_overlapping_text_sets_encode_only_their_new_texts(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([[float(ord(t[0])), float(len(t))] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(tmp_path)
    first = cache.get("m", ["a", "bb", "c"], encode)
    second = cache.get("m", ["bb", "dd", "a", "dd"], encode)  # MLQA-R: each pair a different subset of a language's questions
    assert calls == [["a", "bb", "c"], ["dd"]] and cache.encoded == 4
    np.testing.assert_array_equal(second, np.stack([first[1], encode(["dd"])[0], first[0], encode(["dd"])[0]]))
    fresh = EmbeddingCache(tmp_path)  # another process: the stored set is read from disk
    np.testing.assert_array_equal(fresh.get("m", ["bb", "dd", "a", "dd"], encode), second)
    assert (fresh.hits, fresh.encoded) == (1, 0)


def test_pool_ranking_keeps_every_document_or_the_best_depth() -> None:
    queries = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    documents = np.array([[0.9, 0.1], [0.1, 0.9], [0.5, 0.5]], dtype=np.float32)
    full = rank_pool(["q1", "q2"], queries, ["d1", "d2", "d3"], documents, None, chunk=1).to_dict()
    assert full["q1"] == pytest.approx({"d1": 0.9, "d2": 0.1, "d3": 0.5}) and len(full["q2"]) == 3
    top = rank_pool(["q1", "q2"], queries, ["d1", "d2", "d3"], documents, 2).to_dict()
    assert set(top["q1"]) == {"d1", "d3"} and set(top["q2"]) == {"d2", "d3"}
    picked = rank_candidates({"q1": ["d2", "d1"]}, {"q1": np.array([0.3, 0.7])}).to_dict()
    assert picked == {"q1": {"d2": 0.3, "d1": 0.7}}

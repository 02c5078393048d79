"""hybrid-batch (Elmahdy et al. 2024): the sampler's statistics and reproducibility, Eq. 1, the
training loop's planned batches, the parallel items, presets, and the adapter end to end on the
toy data with a tiny random BERT (tests/neural_toys.py).

Statistical checks draw with fixed seeds, so they are deterministic; the tolerance is 4 standard
errors of the binomial share, which a correct sampler misses with probability about 6e-5 per check."""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
import torch

from harness.cli import main
from harness.errors import HarnessError
from harness.models import get_model, get_spec
from harness.models.hybrid_batch import PAPER_DATA, parallel_items
from harness.training.examples import TrainingExample
from harness.training.hybrid_sampler import Batch, sample_batches
from harness.training.loop import PlannedBatches, TrainingConfig, epoch_orders, train
from harness.training.losses import hard_negative_nce, info_nce
from tests.neural_toys import build_data_dir

LANGS = ("en", "es", "it", "zh")


def within_sampling_error(successes: int, trials: int, p: float) -> bool:
    return abs(successes / trials - p) <= 4 * math.sqrt(p * (1 - p) / trials)


def batches(plan) -> list[Batch]:
    return [batch for epoch in plan for batch in epoch]


# -- sampler ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.2, 0.5, 0.9])
def test_the_monolingual_share_is_alpha_within_sampling_error(alpha: float) -> None:
    drawn = batches(sample_batches(6000, LANGS, batch_size=3, epochs=1, alpha=alpha, seed=7))
    assert len(drawn) == 2000 and within_sampling_error(sum(b.monolingual for b in drawn), len(drawn), alpha)


def test_languages_are_uniform() -> None:
    drawn = batches(sample_batches(4000, LANGS, batch_size=2, epochs=1, alpha=0.5, seed=3))
    monolingual = Counter(b.triplets[0].query_lang for b in drawn if b.monolingual)
    assert set(monolingual) == set(LANGS) and all(within_sampling_error(n, sum(monolingual.values()), 1 / 4) for n in monolingual.values())
    cross = [t for b in drawn if not b.monolingual for t in b.triplets]
    for counts, share in ((Counter(t.query_lang for t in cross), 1 / 4), (Counter(t.doc_lang for t in cross), 1 / 4),
                          (Counter((t.query_lang, t.doc_lang) for t in cross), 1 / 12)):
        assert len(counts) == round(1 / share) and all(within_sampling_error(n, len(cross), share) for n in counts.values())


def test_a_monolingual_batch_has_one_language_and_a_cross_triplets_languages_differ() -> None:
    drawn = batches(sample_batches(300, LANGS, batch_size=7, epochs=3, alpha=0.5, seed=0))
    assert {b.monolingual for b in drawn} == {True, False}
    for batch in drawn:
        if batch.monolingual:
            assert len({lang for t in batch.triplets for lang in (t.query_lang, t.doc_lang)}) == 1
        else:
            assert all(t.query_lang != t.doc_lang for t in batch.triplets)
    assert all(b.monolingual for b in batches(sample_batches(300, LANGS, batch_size=7, epochs=1, batching="monolingual", alpha=0.0)))
    assert not any(b.monolingual for b in batches(sample_batches(300, LANGS, batch_size=7, epochs=1, batching="cross", alpha=1.0)))


def test_every_epoch_visits_every_item_once_in_its_own_order() -> None:
    plan = sample_batches(10, ("en", "es"), batch_size=4, epochs=2, seed=1)
    orders = [[t.item for b in epoch for t in b.triplets] for epoch in plan]
    assert [[len(b.triplets) for b in epoch] for epoch in plan] == [[4, 4, 2]] * 2
    assert all(sorted(order) == list(range(10)) for order in orders) and orders[0] != orders[1]


def test_same_seed_same_batches_another_seed_other_batches() -> None:
    def draw(seed: int):
        return sample_batches(50, LANGS, batch_size=5, epochs=2, seed=seed)

    assert draw(4) == draw(4)
    other = draw(5)
    assert [t.item for b in batches(other) for t in b.triplets] != [t.item for b in batches(draw(4)) for t in b.triplets]
    assert [(t.query_lang, t.doc_lang) for b in batches(other) for t in b.triplets] != [(t.query_lang, t.doc_lang) for b in batches(draw(4)) for t in b.triplets]


@pytest.mark.parametrize(("arguments", "message"), [
    ({"alpha": 1.5}, "alpha is a probability"), ({"batching": "mixed"}, "batching must be one of hybrid, monolingual, cross"),
    ({"languages": ("en",)}, "cross-lingual batches need two languages"), ({"languages": ("en", "en")}, "distinct languages"),
])
def test_bad_sampler_arguments_are_one_line_errors(arguments: dict, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        sample_batches(10, **{"languages": LANGS, "batch_size": 2, "epochs": 1, **arguments})


# -- Eq. 1 -----------------------------------------------------------------------------------------
def test_eq1_puts_each_positive_against_the_batchs_hard_negatives_only() -> None:
    queries = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    documents = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, -1.0], [0.8, 0.6]])  # 2 positives, then 2 hard negatives
    t = 0.5
    expected = []
    for i, q in enumerate(queries.tolist()):
        score = [sum(a * b for a, b in zip(q, d)) / t for d in documents.tolist()]
        candidates = [score[i], score[2], score[3]]  # the other query's positive is not a candidate
        expected.append(math.log(sum(math.exp(x) for x in candidates)) - score[i])
    assert hard_negative_nce(queries, documents, t, in_batch_negatives=False).item() == pytest.approx(sum(expected) / 2, rel=1e-6)
    assert hard_negative_nce(queries, documents, t, in_batch_negatives=True).item() == info_nce(queries, documents, t).item()
    assert hard_negative_nce(queries, documents[:2], t, in_batch_negatives=False).item() == 0.0  # the positive is the only candidate


# -- the training loop's planned batches -------------------------------------------------------------
class Recorder(torch.nn.Module):
    """A trainable stand-in that records the batches the loop hands it."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(1))
        self.seen: list[list[str]] = []

    def training_loss(self, examples) -> torch.Tensor:
        self.seen.append([e.query for e in examples])
        return self.weight.sum() * len(examples)


def test_planned_batches_are_visited_as_planned() -> None:
    example = [TrainingExample(f"q{i}", f"p{i}") for i in range(7)]
    epochs = [[example[0:3], example[3:4], example[4:7]], [example[6:7], example[0:6]]]
    plan = PlannedBatches.of(epochs)
    assert list(plan) == [e for epoch in epochs for batch in epoch for e in batch] and isinstance(plan, tuple)
    model = Recorder()
    log = train(model, plan, TrainingConfig(epochs=2, batch_size=3, grad_accumulation=2), progress=False)
    assert model.seen == [[e.query for e in batch] for epoch in epochs for batch in epoch]
    assert (log.steps, log.examples_seen) == (2 + 1, 14)
    with pytest.raises(HarnessError, match="cover 2 epochs; the training asks for 3"):
        train(Recorder(), plan, TrainingConfig(epochs=3), progress=False)


def test_a_plan_of_the_shuffled_batches_trains_bit_identically(tiny_backbone: Path) -> None:
    from harness.models.backbone import resolve_backbone
    from harness.models.bi_encoder import BiEncoder

    examples = [TrainingExample(f"where is city {i}?", f"city {i} is in country {i}", (f"the house {i} is red",)) for i in range(10)]
    config = TrainingConfig(epochs=2, batch_size=4, learning_rate=1e-3, seed=5)
    orders = epoch_orders(len(examples), config.seed)
    plan = PlannedBatches.of([[[examples[i] for i in order[f : f + 4].tolist()] for f in range(0, 10, 4)] for order in (next(orders), next(orders))])
    logs, weights = [], []
    for data in (examples, plan):
        torch.manual_seed(0)
        model = BiEncoder.from_backbone(resolve_backbone(str(tiny_backbone)), max_length=32)
        logs.append(train(model, data, config, progress=False).losses)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert logs[0] == logs[1] and torch.equal(weights[0], weights[1])


# -- parallel items, presets, parameters ---------------------------------------------------------------
def test_parallel_items_join_the_languages_by_question_id(tmp_path: Path) -> None:
    data = build_data_dir(tmp_path / "data")
    items, notes = parallel_items(data, ("en", "es"), negatives=1, seed=0, limit=None)
    assert len(items) == notes["parallel_items"] == 5 and notes["items_per_language"] == {"en": 9, "es": 5}  # s1..s5 are translated
    first = items[0]
    assert (first["en"].query, first["es"].query) == ("What flows through the city?", "¿Qué atraviesa la ciudad?")
    assert (first["en"].positive, first["es"].positive) == ("The river flows through the city.", "El río atraviesa la ciudad.")
    assert first["es"].negatives == ("Es largo y ancho.",)
    cut, cut_notes = parallel_items(data, ("en", "es"), negatives=1, seed=0, limit=2)
    assert len(cut) == 2 and all(item in items for item in cut) and cut_notes["subset"] == {"limit": 2, "available": 5, "seed": 0}


def test_presets_and_parameter_checks() -> None:
    cpu, paper = get_model("hybrid-batch").params, get_model("hybrid-batch", preset="paper").params
    assert (cpu["learning_rate"], cpu["batch_size"], cpu["weight_decay"]) == (2e-5, 32, 0.01)
    assert (paper["learning_rate"], paper["batch_size"], paper["weight_decay"], paper["preset"]) == (3e-5, 100, 0.01, "paper")
    assert get_model("hybrid-batch", preset="paper", batch_size=8).params["batch_size"] == 8  # given explicitly: wins over the preset
    assert cpu["architecture"] == "bi" and cpu["temperature"] == 0.01 and (cpu["query_prefix"], cpu["document_prefix"]) == ("Query: ", "Passage: ")
    assert get_model("hybrid-batch", negatives=0, in_batch_negatives=True).params["negatives"] == 0
    for params, message in (({"preset": "gpu"}, "preset must be one of cpu, paper"), ({"negatives": 0}, "Eq. 1 needs hard negatives"),
                            ({"alpha": -0.1}, "alpha is a probability"), ({"batching": "x"}, "batching must be one of")):
        with pytest.raises(HarnessError, match=message):
            get_model("hybrid-batch", **params)
    with pytest.raises(HarnessError, match="no parallel training data for de: squad provides en, es, it, zh"):
        get_model("hybrid-batch", languages="en,de").languages()
    assert all(param.origin for param in get_spec("hybrid-batch").params)


def test_eq1_is_the_trained_models_loss_unless_in_batch_negatives(tiny_backbone: Path, tmp_path: Path) -> None:
    batch = [TrainingExample("Where is Rome?", "Rome is in Italy.", ("Fire is hot.",)), TrainingExample("What is wet?", "Water is wet.", ("Ice is cold.",))]
    losses = {}
    for in_batch in (False, True):
        model = get_model("hybrid-batch", backbone=str(tiny_backbone), max_length=32, in_batch_negatives=in_batch).build().eval()
        with torch.no_grad():
            queries = model.embed_texts([e.query for e in batch], "query")
            documents = model.embed_texts([e.positive for e in batch] + [n for e in batch for n in e.negatives], "document")
            losses[in_batch] = model.training_loss(batch).item()
            assert losses[in_batch] == pytest.approx(hard_negative_nce(queries, documents, 0.01, in_batch_negatives=in_batch).item(), rel=1e-6)
    assert losses[False] != pytest.approx(losses[True], rel=1e-3)
    from harness.models.saved import load_model, save_model

    save_model(model, tmp_path / "saved")  # the last model: in_batch_negatives=True
    assert load_model(tmp_path / "saved").in_batch_negatives is True
    eq1 = get_model("hybrid-batch", backbone=str(tiny_backbone), max_length=32).build()
    save_model(eq1, tmp_path / "eq1")
    assert load_model(tmp_path / "eq1").in_batch_negatives is False  # a saved model keeps its loss


# -- end to end ------------------------------------------------------------------------------------
def test_hybrid_batch_trains_one_model_on_sampled_parallel_batches(tiny_backbone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    data = build_data_dir(tmp_path / "data")
    assert main(["eval", "--model", "hybrid-batch", "--backbone", str(tiny_backbone), "--dataset", "xquad-r", "--pairs", "es-en,en-en,de-en",
                 "--data-dir", str(data), "--submissions", str(tmp_path / "subs"), "--name", "hb", "--quiet",
                 "--param", "languages=en,es", "--param", "batch_size=2", "--param", "epochs=2", "--param", "max_length=32"]) == 0
    [folder] = (tmp_path / "cache" / "models").iterdir()
    model = json.loads((folder / "training.json").read_text())
    training = model["training_data"]
    sampler = training["notes"]["sampler"]
    assert (sampler["batching"], sampler["alpha"], sampler["seed"], sampler["batches"]) == ("hybrid", 0.5, 0, 2 * 3)  # 5 items, batches of 2
    assert model["log"]["steps"] == 6 and model["log"]["examples_seen"] == 2 * 5 and training["examples"] == 2 * 5
    assert model["languages"] == ["en", "es"] and training["notes"]["paper_data"] == PAPER_DATA and training["notes"]["preset"] == "cpu"
    assert model["parameters"]["preset"] == "cpu" and model["parameters"]["learning_rate"] == 2e-5
    meta = json.loads((tmp_path / "subs" / "hb" / "meta.json").read_text())
    assert meta["system"]["training_data"]["paper_data"] == PAPER_DATA and meta["system"]["parameters"]["preset"] == "cpu"
    runs = {pair: record["run"] for pair, record in meta["pairs"].items()}
    assert {r["model_key"] for r in runs.values()} == {model["key"]}  # one model for every pair
    assert runs["xquad-r/es-en"]["zero_shot_languages"] == [] and runs["xquad-r/de-en"]["zero_shot_languages"] == ["de"]


@pytest.mark.realdata
def test_real_parallel_items_hold_every_language(real_data_dir: Path) -> None:
    items, notes = parallel_items(real_data_dir, LANGS, negatives=1, seed=0, limit=None)
    assert len(items) == notes["parallel_items"] == 1504
    assert notes["items_per_language"] == {"en": 9380, "es": 4786, "it": 6117, "zh": 3445}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in item["zh"].query + item["zh"].positive) for item in items[:50])


def test_passages_take_their_own_token_limit(tiny_backbone: Path) -> None:
    import numpy as np

    long_passage = "the river flows through the old city " * 20
    plain = get_model("hybrid-batch", backbone=str(tiny_backbone), max_length=32)
    split = get_model("hybrid-batch", backbone=str(tiny_backbone), max_length=32, document_max_length=8)
    assert "document_max_length" not in plain.encoder_settings() and split.encoder_settings()["document_max_length"] == 8
    one, two = plain.build().eval(), split.build().eval()
    two.load_state_dict(one.state_dict())
    assert (two.side_max_length("query"), two.side_max_length("document")) == (32, 8)
    np.testing.assert_allclose(two.encode([long_passage], "query"), one.encode([long_passage], "query"), atol=1e-6)  # queries keep max_length
    assert not np.allclose(two.encode([long_passage], "document"), one.encode([long_passage], "document"), atol=1e-3)  # passages are cut at 8
    from harness.models.bi_encoder import BiEncoder

    short = BiEncoder(one.transformer, one.tokenizer, max_length=8, query_prefix="Query: ", document_prefix="Passage: ")
    np.testing.assert_allclose(two.encode([long_passage], "document"), short.encode([long_passage], "document"), atol=1e-6)

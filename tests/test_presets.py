"""Training presets (``preset=cpu|paper``), the step-count training options they need, and the
code-switching paper's pointwise cross-encoder sampling (``cross_sampling=official``)."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.models import get_model
from harness.models.backbone import resolve_backbone
from harness.models.cross_encoder import CrossEncoder
from harness.training.data.pointwise import NO_POSITIVE, labelled_pairs, pointwise
from harness.training.examples import TrainingExample, TrainingSet
from harness.training.loop import PlannedBatches, TrainingConfig, train
from harness.training.losses import binary_cross_entropy
from harness.training.presets import Preset, PresetFamily
from tests.neural_toys import build_data_dir

# What the code-switching adapters trained with before presets existed (preset=cpu must keep it).
CPU = {"architecture": "bi", "epochs": 1, "batch_size": 32, "learning_rate": 2e-5, "weight_decay": 0.01, "warmup": 0.1,
       "mixed_precision": "auto", "max_length": None, "negatives": None, "grad_accumulation": 1, "seed": 0}
PAPER = {"architecture": "cross", "max_length": 512, "batch_size": 64, "learning_rate": 2e-5, "weight_decay": 0.01, "warmup_steps": 5000,
         "max_steps": 200_000, "mixed_precision": "fp16", "cross_sampling": "official", "epochs": None, "warmup": None}
EXAMPLES = [TrainingExample(f"query {i}", f"passage {i}", (f"other {i}",)) for i in range(12)]


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_preset_fills_what_is_unset_and_a_given_value_wins() -> None:
    family = PresetFamily((Preset("a", {"x": 1, "y": 2, "s": 3}, "ours"), Preset("b", {"x": 5, "t": 9}, "paper")), "a", (("s", "t"),))
    assert family.resolve("m", {"x": None, "y": None, "s": None, "t": None}) == {"x": 1, "y": 2, "s": 3, "t": None}
    assert family.resolve("m", {"preset": "b", "x": 7, "y": None, "s": None, "t": None}) == {"preset": "b", "x": 7, "y": None, "s": None, "t": 9}
    assert family.resolve("m", {"x": None, "y": None, "t": 4, "s": None}) == {"x": 1, "y": 2, "s": None, "t": 4}  # t keeps a's s out
    assert family.resolve("m", {"x": None}) == {"x": 1}  # a parameter the adapter lacks stays absent
    with pytest.raises(HarnessError, match="give s or t, not both"):
        family.resolve("m", {"s": 1, "t": 2})
    with pytest.raises(HarnessError, match=r"model 'm': preset must be one of a, b, not 'c'"):
        family.resolve("m", {"preset": "c"})
    assert family.summary("x") == "a 1, b 5" and family.summary("t") == "b 9"


@pytest.mark.parametrize("name", ["zero-shot", "bl-cs", "ml-cs", "translate-train"])
def test_cpu_is_the_old_defaults_and_paper_the_official_training(name: str) -> None:
    cpu, paper = get_model(name).params, get_model(name, preset="paper").params
    assert {k: cpu[k] for k in CPU} == CPU and (cpu["preset"], cpu["cross_sampling"], cpu["max_steps"], cpu["warmup_steps"]) == ("cpu", "batch", None, None)
    assert {k: paper[k] for k in PAPER} == PAPER and paper["seed"] == 0  # seeds 1-3 are three runs: --param seed=N
    assert get_model(name, preset="paper", batch_size=8, epochs=2).params.items() >= {"batch_size": 8, "epochs": 2, "max_steps": None}.items()
    assert get_model(name, preset="paper", warmup=0.2).params["warmup_steps"] is None


def test_the_presets_config_and_records() -> None:
    paper = get_model("zero-shot", preset="paper")
    config = paper.training_config()
    assert (config.max_steps, config.warmup_steps, config.batch_size, config.mixed_precision) == (200_000, 5000, 64, "fp16")
    assert config.steps(10) == 200_000 and config.warmup_for(200_000) == 5000
    assert get_model("zero-shot").training_config() == TrainingConfig(epochs=1, batch_size=32, learning_rate=2e-5, weight_decay=0.01, warmup=0.1)
    described = paper.describe()["preset"]
    assert described["name"] == "paper" and described["values"]["max_steps"] == 200_000 and "run_finetuning.sh" in described["origin"]
    assert any("seed=1, seed=2, seed=3" in note for note in described["notes"])
    assert get_model("zero-shot", preset="paper", batch_size=8).describe()["preset"]["values"].get("batch_size") is None
    assert paper.training_record({}, ["en"])["preset"] == "paper"
    assert get_model("translate-test", preset="paper", mixed_precision="no").inner.params["architecture"] == "cross"
    # adapters without a preset parameter keep the cpu values and record no preset
    optical = get_model("optical")
    assert (optical.params["epochs"], optical.params["batch_size"]) == (1, 32) and "preset" not in optical.describe()


@pytest.mark.parametrize("params, message", [
    ({"preset": "paper", "architecture": "bi"}, "cross_sampling=official trains a cross-encoder pointwise"),
    ({"architecture": "cross", "cross_sampling": "official", "negatives": 0}, "negatives >= 1"),
    ({"cross_sampling": "listwise"}, "cross_sampling must be one of batch, official"),
    ({"warmup": 0.1, "warmup_steps": 5}, "give warmup or warmup_steps, not both"),
    ({"epochs": 2, "max_steps": 5}, "give epochs or max_steps, not both"),
    ({"preset": "gpu"}, "preset must be one of cpu, paper"),
])
def test_contradictions_are_refused(params: dict, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        get_model("zero-shot", **params)


def test_step_counts_and_their_checks() -> None:
    assert TrainingConfig(epochs=3, batch_size=5, warmup=0.5).warmup_for(10) == 5
    assert TrainingConfig(max_steps=7, warmup_steps=2).steps(1000) == 7 and TrainingConfig(warmup_steps=2).warmup_for(10) == 2
    for kwargs, message in (({"max_steps": 0}, "max_steps must be >= 1"), ({"warmup_steps": -1}, "warmup_steps must be >= 0"),
                            ({"epochs": 0, "max_steps": 3}, "contradict")):
        with pytest.raises(HarnessError, match=message):
            TrainingConfig(**kwargs)
    with pytest.raises(HarnessError, match="max_steps does not apply"):
        train(torch.nn.Linear(1, 1), PlannedBatches.of([[EXAMPLES[:2]]]), TrainingConfig(max_steps=1), progress=False)


def weights_after(tiny_backbone: Path, config: TrainingConfig) -> tuple[list[float], dict[str, torch.Tensor], int]:
    torch.manual_seed(0)
    model = CrossEncoder.from_backbone(resolve_backbone(str(tiny_backbone)), max_length=16, negatives=1)
    log = train(model, EXAMPLES, config, progress=False)
    return log.losses, {k: v.clone() for k, v in model.state_dict().items()}, log.examples_seen


def test_steps_in_place_of_epochs_train_bit_identically(tiny_backbone: Path) -> None:
    # 12 examples, batch 5: 3 steps an epoch; 2 epochs with a 25% warm-up = 6 steps with 2 warm-up steps
    by_epochs = weights_after(tiny_backbone, TrainingConfig(epochs=2, batch_size=5, learning_rate=1e-3, warmup=0.25, seed=4))
    by_steps = weights_after(tiny_backbone, TrainingConfig(max_steps=6, batch_size=5, learning_rate=1e-3, warmup_steps=2, seed=4))
    assert by_epochs[0] == by_steps[0] and by_epochs[2] == by_steps[2] == 24
    assert all(torch.equal(by_epochs[1][k], by_steps[1][k]) for k in by_epochs[1])
    losses, _, seen = weights_after(tiny_backbone, TrainingConfig(max_steps=7, batch_size=5, learning_rate=1e-3, seed=4))
    assert len(losses) == 7 and seen == 5 + 5 + 2 + 5 + 5 + 2 + 5  # two full epochs, then one step into a third


def test_pointwise_takes_a_positive_then_four_negatives_in_source_order() -> None:
    training = TrainingSet("toy", ("en",), ("en",), tuple(EXAMPLES[:11]) + (TrainingExample("query 11", "passage 11"),))
    pointed = pointwise(training, 4)
    assert [e.positive or e.negatives[0] for e in pointed.examples] == [
        "passage 0", "other 1", "other 2", "other 3", "other 4", "passage 5", "other 6", "other 7", "other 8", "other 9", "passage 10",
    ]
    assert pointed.notes["sampling"].items() >= {"positives": 3, "negatives": 8, "without_negative": 1, "negatives_per_positive": 4}.items()
    assert labelled_pairs(pointed.examples[0]) == [("query 0", "passage 0", 1.0)]
    assert labelled_pairs(pointed.examples[1]) == [("query 1", "other 1", 0.0)] and pointed.examples[1].positive == NO_POSITIVE
    assert labelled_pairs(EXAMPLES[2]) == [("query 2", "passage 2", 1.0), ("query 2", "other 2", 0.0)]


def test_the_official_loss_is_bce_on_the_labelled_pairs(tiny_backbone: Path) -> None:
    model = CrossEncoder.from_backbone(resolve_backbone(str(tiny_backbone)), max_length=16, sampling="official").eval()
    batch = [TrainingExample("query 1", "passage 1"), TrainingExample("query 2", NO_POSITIVE, ("other 2",))]
    expected = binary_cross_entropy(torch.tensor(model.score([("query 1", "passage 1"), ("query 2", "other 2")])), torch.tensor([1.0, 0.0]))
    assert float(model.training_loss(batch).detach()) == pytest.approx(float(expected), abs=1e-5)
    assert model.settings()["sampling"] == "official"


def test_paper_preset_trains_a_pointwise_cross_encoder(tiny_backbone: Path, tmp_path: Path) -> None:
    ranker = get_model("zero-shot", backbone=str(tiny_backbone), preset="paper", mixed_precision="no", max_steps=3, warmup_steps=1,
                       batch_size=4, max_length=32)
    ranker.data_dir = build_data_dir(tmp_path / "data")
    model, _, metadata = ranker.trained(PairId("xquad-r", "en", "en"), ["en"], progress=False)
    assert model.architecture == "cross" and model.sampling == "official"
    assert metadata["log"]["steps"] == 3 and metadata["config"]["max_steps"] == 3 and metadata["config"]["warmup_steps"] == 1
    sampling = metadata["training_data"]["notes"]["sampling"]
    # 9 SQuAD pairs, each with one other sentence of its paragraph: positives at 0 and 5, negatives between
    assert (sampling["positives"], sampling["negatives"], metadata["training_data"]["examples"]) == (2, 7, 9)
    assert metadata["parameters"]["preset"] == "paper" and ranker.training_record(metadata, ["en"])["preset"] == "paper"

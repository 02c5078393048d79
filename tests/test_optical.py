"""OPTICAL: the log-domain Sinkhorn plan against its constraints and the exact optimum, the OT loss
and its distillation on tiny models, the bitext readers (toy layout and, ``realdata``, the real
files), and the adapter end to end through ``harness eval`` on toy data. Seconds in all."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.cli import main
from harness.errors import HarnessError, InputFormatError
from harness.models import get_model, get_spec
from harness.training.data.bitext import bitext_pairs, read_parallel
from harness.training.distill import Distillation, Distiller, distil, token_states
from harness.training.examples import TrainingExample
from harness.training.loop import TrainingConfig
from harness.training.optimal_transport import cosine_cost, sinkhorn, transport_loss
from tests.fixtures.bitext.layout import EXPECTED, build_bitext, write_text
from tests.neural_toys import build_data_dir, build_tiny_backbone

TOY_BITEXT = [
    TrainingExample("Paris is the capital of France.", "Paris ist die Hauptstadt von Frankreich."),
    TrainingExample("Berlin is the capital of Germany.", "Berlin ist die Hauptstadt von Deutschland."),
    TrainingExample("The house is red.", "Das Haus ist rot."),
    TrainingExample("The river flows through the city.", "Der Fluss fliesst durch die Stadt."),
    TrainingExample("Water is wet.", "Das Wasser ist nass."),
    TrainingExample("Where is the house?", "Wo ist das Haus?"),
]


def masks(rows: list[int], columns: list[int], n: int, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks of ``rows[b]`` real rows and ``columns[b]`` real columns per pair, padding after."""
    return torch.arange(n)[None, :] < torch.tensor(rows)[:, None], torch.arange(m)[None, :] < torch.tensor(columns)[:, None]


def marginal_errors(plan: torch.Tensor, source_mask: torch.Tensor, target_mask: torch.Tensor) -> tuple[float, float]:
    rows = source_mask / source_mask.sum(1, keepdim=True)
    columns = target_mask / target_mask.sum(1, keepdim=True)
    return float((plan.sum(2) - rows).abs().max()), float((plan.sum(1) - columns).abs().max())


# -- optimal transport --------------------------------------------------------------------------

def test_plan_meets_both_marginals_and_leaves_padding_empty() -> None:
    generator = torch.Generator().manual_seed(0)
    source_mask, target_mask = masks([12, 7, 12, 3], [9, 9, 4, 9], 12, 9)
    # token-like states (384 wide): the defaults (epsilon 0.1, 50 iterations) meet the marginals to 1e-6
    cost = cosine_cost(torch.randn(4, 12, 384, generator=generator), torch.randn(4, 9, 384, generator=generator))
    plan = sinkhorn(cost, source_mask, target_mask)
    assert max(marginal_errors(plan, source_mask, target_mask)) < 1e-6
    assert float(plan[~(source_mask[:, :, None] & target_mask[:, None, :])].abs().max()) == 0.0
    assert float(plan.min()) >= 0.0
    # costs spread over [0.06, 1.8] (8-wide states) converge more slowly: 200 iterations do it
    spread = cosine_cost(torch.randn(4, 12, 8, generator=generator), torch.randn(4, 9, 8, generator=generator))
    assert max(marginal_errors(sinkhorn(spread, source_mask, target_mask, iterations=50), source_mask, target_mask)) > 1e-6
    assert max(marginal_errors(sinkhorn(spread, source_mask, target_mask, iterations=200), source_mask, target_mask)) < 1e-6


def exact_plan(cost: np.ndarray) -> np.ndarray:
    """The optimal plan between uniform marginals, by linear programming."""
    from scipy.optimize import linprog

    n, m = cost.shape
    rows = [np.kron(np.eye(n)[i], np.ones(m)) for i in range(n)]
    columns = [np.kron(np.ones(n), np.eye(m)[j]) for j in range(m)]
    result = linprog(cost.ravel(), A_eq=np.array(rows + columns), b_eq=[1 / n] * n + [1 / m] * m, bounds=(0, None), method="highs")
    assert result.status == 0
    return result.x.reshape(n, m)


# n a multiple of m (6 x 3) is left out: its ties slow Sinkhorn down as epsilon shrinks
@pytest.mark.parametrize("shape", [(4, 5), (5, 5), (3, 7)])
def test_plan_approaches_the_exact_optimum_as_epsilon_shrinks(shape: tuple[int, int]) -> None:
    cost = np.random.default_rng(sum(shape)).uniform(0, 2, shape)
    exact = exact_plan(cost)
    everything = torch.ones(1, shape[0], dtype=torch.bool), torch.ones(1, shape[1], dtype=torch.bool)
    errors = []
    for epsilon in (0.3, 0.1, 0.03, 0.01, 0.003):
        plan = sinkhorn(torch.tensor(cost)[None], *everything, epsilon=epsilon, iterations=3000)[0].numpy()
        errors.append(float(np.abs(plan - exact).max()))
    assert errors[0] > 1e-2 and all(later <= earlier + 1e-12 for earlier, later in zip(errors, errors[1:])), errors
    assert errors[-1] < 1e-3  # tolerance: largest entry difference at epsilon 0.003 (float64, 3,000 iterations)
    assert abs(float((plan * cost).sum() - (exact * cost).sum())) < 1e-4


def test_loss_is_the_inner_product_with_the_plan_held_fixed() -> None:
    generator = torch.Generator().manual_seed(1)
    source_mask, target_mask = masks([5, 2, 0], [4, 4, 3], 5, 4)  # the third pair has no source tokens
    cost = torch.rand(3, 5, 4, generator=generator, dtype=torch.float64, requires_grad=True)
    loss = transport_loss(cost, source_mask, target_mask, epsilon=0.1, iterations=50)
    plan = sinkhorn(cost, source_mask, target_mask, epsilon=0.1, iterations=50)
    assert float(loss.detach()) == pytest.approx(float((plan * cost.detach()).sum() / 3), abs=1e-12)
    loss.backward()
    # detached plan: d<T, C>/dC is T itself (over the batch size); nothing flows for the empty pair
    assert torch.allclose(cost.grad, plan / 3, atol=1e-12)
    assert float(plan[2].abs().sum()) == 0.0 and not torch.isnan(cost.grad).any()


# -- distillation on tiny models ----------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_student(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another tiny BERT (other random weights) as the student."""
    return build_tiny_backbone(tmp_path_factory.mktemp("tiny-student"), seed=1)


def tiny_pair(teacher_folder: Path, student_folder: Path):
    from harness.models.backbone import resolve_backbone
    from harness.models.bi_encoder import BiEncoder

    return (BiEncoder.from_backbone(resolve_backbone(str(student_folder)), max_length=32),
            BiEncoder.from_backbone(resolve_backbone(str(teacher_folder)), max_length=32))


def test_token_states_leave_out_special_tokens_and_padding(tiny_backbone: Path, tiny_student: Path) -> None:
    student, _ = tiny_pair(tiny_backbone, tiny_student)
    texts = ["Das Haus ist rot.", "Wo?"]
    states, mask = token_states(student, texts, -1)
    assert states.shape[:2] == mask.shape and states.shape[2] == 32
    assert mask.sum(1).tolist() == [len(student.tokenizer.tokenize(t)) for t in texts]
    assert not mask[:, 0].any()  # [CLS]
    with pytest.raises(ValueError, match="hidden states 0..2"):
        token_states(student, texts, 3)


def test_distillation_loss_falls_and_the_teacher_stays_as_it_is(tiny_backbone: Path, tiny_student: Path) -> None:
    student, teacher = tiny_pair(tiny_backbone, tiny_student)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    config = TrainingConfig(epochs=15, batch_size=3, learning_rate=1e-3, warmup=0.0, seed=0)
    log = distil(student, teacher, TOY_BITEXT, config, Distillation(), progress=False)
    assert log.steps == 30
    assert np.mean(log.losses[-5:]) < 0.5 * log.losses[0], log.losses
    assert all(torch.equal(before[k], v) for k, v in teacher.state_dict().items())
    assert not teacher.training


def test_ranking_loss_is_added_with_its_weight(tiny_backbone: Path, tiny_student: Path) -> None:
    student, teacher = tiny_pair(tiny_backbone, tiny_student)
    ranking = [TrainingExample("What is wet?", "Water is wet."), TrainingExample("Where is Rome?", "Rome is in Italy."),
               TrainingExample("What colour is the house?", "The house is red.")]
    batch = TOY_BITEXT[:3]
    plain = Distiller(student, teacher, Distillation()).train(False)
    weighted = Distiller(student, teacher, Distillation(rank_weight=0.5), ranking=ranking).train(False)
    with torch.no_grad():
        expected = plain.training_loss(batch) + 0.5 * student.training_loss(ranking)  # InfoNCE does not depend on the order
        assert float(weighted.training_loss(batch)) == pytest.approx(float(expected), abs=1e-6)
    with pytest.raises(ValueError, match="needs English ranking pairs"):
        Distiller(student, teacher, Distillation(rank_weight=1.0))


# -- bitext readers -----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", sorted(EXPECTED))
def test_bitext_reads_every_source_and_removes_duplicates(tmp_path: Path, lang: str) -> None:
    pairs = bitext_pairs(build_bitext(tmp_path), lang)
    got = [(f["file"], f["pairs"], f["empty"], f["duplicates"], f["kept"]) for f in pairs.notes["files"]]
    assert got == EXPECTED[lang]
    assert len(pairs) == sum(kept for *_, kept in EXPECTED[lang]) and set(pairs.languages) == {"en", lang}
    if lang == "de":
        assert [e.positive for e in pairs.examples[4:6]] == ["Rom liegt in Italien.", "Der Fluss ist lang."]
        assert "Das M\u00e4dchen liest." in {e.positive for e in pairs.examples}  # the first read is the one kept


def test_bitext_sources_limit_and_codes(tmp_path: Path) -> None:
    data = build_bitext(tmp_path)
    assert [f["file"] for f in bitext_pairs(data, "zh", sources=["tico19"]).notes["files"]] == ["tico19/zho-eng.zho.gz"]
    assert len(bitext_pairs(data, "deu", sources=["flores200"])) == 2  # an ISO 639-3 code is used as it is
    drawn = bitext_pairs(data, "de", limit=3, seed=0)
    assert len(drawn) == 3 and drawn.notes["subset"] == {"limit": 3, "available": 8, "seed": 0}
    assert drawn.examples == bitext_pairs(data, "de", limit=3, seed=0).examples
    assert any(bitext_pairs(data, "de", limit=3, seed=s).examples != drawn.examples for s in range(1, 5))
    with pytest.raises(HarnessError, match="no bitext for 'fr'.*fra"):
        bitext_pairs(data, "fr")
    with pytest.raises(HarnessError, match="unknown bitext source 'tatoba'.*did you mean 'tatoeba'"):
        bitext_pairs(data, "de", sources=["tatoba"])
    with pytest.raises(HarnessError, match="missing .*bitext"):
        bitext_pairs(tmp_path / "elsewhere", "de")


def test_malformed_bitext_files_name_file_and_line(tmp_path: Path) -> None:
    english = write_text(tmp_path / "x-eng.eng.gz", ["One.", "Two.", "Three."])
    short = write_text(tmp_path / "x-eng.x.gz", ["Eins.", "Zwei."])
    with pytest.raises(InputFormatError, match=r"x-eng\.x\.gz:3: expected the line parallel to .*x-eng\.eng\.gz:3"):
        read_parallel(english, short)
    broken = tmp_path / "broken.x"
    broken.write_bytes(b"Eins.\nZw\xffei.\nDrei.\n")
    with pytest.raises(InputFormatError, match=r"broken\.x:2: expected UTF-8 text"):
        read_parallel(tmp_path / "x-eng.eng.gz", broken)
    not_gzip = tmp_path / "plain.x.gz"
    not_gzip.write_text("Eins.\n")
    with pytest.raises(InputFormatError, match=r"plain\.x\.gz: expected a gzip file"):
        read_parallel(english, not_gzip)
    assert read_parallel(english, write_text(tmp_path / "ok.x", ["Eins.\u2028ja", " Zwei. ", "Drei."]))[0] == ("One.", "Eins.\u2028ja")


@pytest.mark.realdata
def test_real_bitext_counts_and_deduplication(real_data_dir: Path) -> None:
    counts = {lang: [(f["file"], f["pairs"], f["duplicates"], f["kept"]) for f in bitext_pairs(real_data_dir, lang).notes["files"]]
              for lang in ("de", "zh", "th")}
    assert counts["de"] == [("tatoeba-laser/tatoeba.deu-eng.deu", 1000, 0, 1000), ("tatoeba-v2021/deu-eng.deu.gz", 17565, 35, 17530),
                            ("flores200-devtest/deu_Latn.devtest.gz", 1012, 0, 1012)]
    # Mandarin: LASER's cmn and v2021's zho overlap in 146 pairs; v2021 repeats 3 of its own
    assert counts["zh"] == [("tatoeba-laser/tatoeba.cmn-eng.cmn", 1000, 0, 1000), ("tatoeba-v2021/zho-eng.zho.gz", 10390, 149, 10241),
                            ("flores200-devtest/zho_Hans.devtest.gz", 1012, 0, 1012), ("tico19/zho-eng.zho.gz", 2100, 0, 2100)]
    assert counts["th"][1] == ("tatoeba-v2021/tha-eng.tha.gz", 1154, 451, 703)
    spanish = bitext_pairs(real_data_dir, "es")
    assert len(spanish) == 1000 + 16583 - 44 + 1012 + 2100
    keys = {(" ".join(e.query.split()), " ".join(e.positive.split())) for e in spanish.examples}
    assert len(keys) == len(spanish)


# -- the adapter --------------------------------------------------------------------------------

@pytest.fixture
def toy_data(tmp_path: Path) -> Path:
    return build_bitext(build_data_dir(tmp_path / "data"))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def evaluate(student: Path, teacher: Path, data: Path, out: Path, pairs: str, *params: str) -> dict:
    extra = [arg for param in ("batch_size=4", "learning_rate=1e-3", "epochs=2", f"teacher={teacher}", *params) for arg in ("--param", param)]
    code = main(["eval", "--model", "optical", "--backbone", str(student), "--dataset", "xquad-r", "--pairs", pairs,
                 "--data-dir", str(data), "--submissions", str(out), "--name", "optical", "--quiet", *extra])
    assert code == 0
    return json.loads((out / "optical" / "meta.json").read_text())


def test_adapter_distils_once_per_language_and_records_it(tiny_backbone, tiny_student, toy_data, tmp_path, cache) -> None:
    meta = evaluate(tiny_student, tiny_backbone, toy_data, tmp_path / "subs", "de-en,en-de")
    [model] = [json.loads(p.read_text()) for p in (cache / "models").glob("*/training.json")]
    assert model["training_data"]["examples"] == 8 and model["languages"] == ["de", "en"]
    assert model["log"]["steps"] == 2 * 2 and model["distillation"]["epsilon"] == 0.1 and model["ranking_data"] is None
    assert model["teacher"]["fingerprint"] != model["backbone"]["fingerprint"]
    runs = {pair: record["run"] for pair, record in meta["pairs"].items()}
    assert {r["model_key"] for r in runs.values()} == {model["key"]}
    assert runs["xquad-r/de-en"]["zero_shot_languages"] == [] and "not confirmed" in runs["xquad-r/de-en"]["method"]
    assert runs["xquad-r/de-en"]["encoder"]["query_prefix"] == "" and runs["xquad-r/de-en"]["distillation"]["iterations"] == 50
    # the same call again trains nothing; a ranking loss is another model, which records its English pairs
    evaluate(tiny_student, tiny_backbone, toy_data, tmp_path / "again", "de-en")
    assert len(list((cache / "models").glob("*/training.json"))) == 1
    evaluate(tiny_student, tiny_backbone, toy_data, tmp_path / "ranked", "de-en", "rank_weight=0.5")
    ranked = [json.loads(p.read_text()) for p in (cache / "models").glob("*/training.json") if json.loads(p.read_text())["ranking_data"]]
    assert len(ranked) == 1 and ranked[0]["ranking_data"]["examples"] == 9


def test_adapter_errors_are_one_line(tiny_backbone, tiny_student, toy_data, tmp_path, capsys) -> None:
    common = ["eval", "--model", "optical", "--backbone", str(tiny_student), "--dataset", "xquad-r", "--data-dir", str(toy_data),
              "--quiet", "--param", f"teacher={tiny_backbone}", "--param", "batch_size=4"]
    assert main([*common, "--pairs", "en-en", "--submissions", str(tmp_path / "a")]) == 2
    assert "name them with bitext_langs" in capsys.readouterr().err
    assert main([*common, "--pairs", "de-en", "--param", "student_layer=7", "--submissions", str(tmp_path / "b")]) == 2
    assert "student_layer=7 does not exist" in capsys.readouterr().err
    with pytest.raises(HarnessError, match="epsilon must be > 0"):
        get_model("optical", epsilon=0.0)


def test_student_ranks_with_the_teachers_settings_and_every_parameter_has_an_origin(tiny_student: Path) -> None:
    settings = get_model("optical").encoder_settings()  # all-MiniLM-L6-v2 as teacher (bundled, offline)
    assert settings == {"pooling": "mean", "similarity": "cosine", "normalize": True, "max_length": 256,
                        "query_prefix": "", "document_prefix": "", "include_prompt": True}
    params = get_spec("optical").params
    assert all(p.origin for p in params) and len({p.name for p in params}) == len(params)
    described = get_model("optical", backbone=str(tiny_student)).describe()
    assert "not confirmed" in described["method"] and described["teacher"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"

"""Every training-time adapter end to end through ``harness eval``, with a tiny random BERT on toy
data (tests/neural_toys.py): what each trains on, how many models it trains, and what the
submission records. Seconds in all."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness import api
from harness.cli import main
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.models import get_model
from tests.neural_toys import build_data_dir

FAST = ["--param", "batch_size=4", "--param", "learning_rate=1e-3", "--param", "max_length=32", "--param", "epochs=2"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return build_data_dir(tmp_path / "data")


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def evaluate(model: str, backbone: Path, data_dir: Path, tmp_path: Path, pairs: str, *extra: str) -> dict:
    code = main(["eval", "--model", model, "--backbone", str(backbone), "--dataset", "xquad-r", "--pairs", pairs,
                 "--data-dir", str(data_dir), "--submissions", str(tmp_path / "subs"), "--name", model, "--quiet", *FAST, *extra])
    assert code == 0
    return json.loads((tmp_path / "subs" / model / "meta.json").read_text())


def trained_models(cache: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((cache / "models").glob("*/training.json"))]


def test_zero_shot_trains_once_on_english_and_flags_german_as_zero_shot(tiny_backbone, data_dir, tmp_path, cache, capsys) -> None:
    meta = evaluate("zero-shot", tiny_backbone, data_dir, tmp_path, "en-en,de-en,en-xx")
    [model] = trained_models(cache)
    assert model["languages"] == ["en"] and model["training_data"]["examples"] == 9  # the toy SQuAD minus XQuAD's 4 questions
    assert model["log"]["steps"] == 2 * 3 and model["config"]["seed"] == 0
    assert meta["training"]["languages"] == ["en"]
    runs = {pair: record["run"] for pair, record in meta["pairs"].items()}
    assert runs["xquad-r/en-en"]["zero_shot_languages"] == [] and runs["xquad-r/de-en"]["zero_shot_languages"] == ["de"]
    assert "de" in runs["xquad-r/en-xx"]["zero_shot_languages"] and len(runs["xquad-r/en-xx"]["zero_shot_languages"]) == 10
    assert {r["model_key"] for r in runs.values()} == {model["key"]}
    assert meta["pairs"]["xquad-r/en-en"]["num_queries"] == 4
    # whole-pool ranking: every candidate of the pair is ranked (the LAReQA protocol's AP)
    run = (tmp_path / "subs" / "zero-shot" / "pairs" / "xquad-r" / "en-xx" / "run.trec.gz")
    import gzip
    with gzip.open(run, "rt") as lines:
        assert sum(1 for _ in lines) == 4 * 11 * 4
    # a second call trains nothing and ranks the same
    main(["eval", "--model", "zero-shot", "--backbone", str(tiny_backbone), "--dataset", "xquad-r", "--pairs", "en-en", "--force",
          "--data-dir", str(data_dir), "--submissions", str(tmp_path / "subs2"), "--name", "again", "--quiet", *FAST])
    assert len(trained_models(cache)) == 1
    again = json.loads((tmp_path / "subs2" / "again" / "meta.json").read_text())
    assert again["pairs"]["xquad-r/en-en"]["measures"] == meta["pairs"]["xquad-r/en-en"]["measures"]


def test_bl_cs_trains_one_model_per_pair_switching_the_sides_the_spec_says(tiny_backbone, data_dir, tmp_path, cache) -> None:
    import gzip

    from harness.datasets import get_dataset

    pool = [lang for lang in get_dataset("xquad-r").languages if lang != "en"]
    for lang in pool:  # the MLIR pool's languages each need an EN->X lexicon (the toy has en-de and en-it)
        path = data_dir / "muse" / f"en-{lang}.txt.gz"
        if not path.exists():
            path.write_bytes(gzip.compress(f"the\tthe_{lang}\nis\tis_{lang}\nhouse\thouse_{lang}\n".encode()))
    meta = evaluate("bl-cs", tiny_backbone, data_dir, tmp_path, "de-en,en-de,de-de,de-xx")
    models = trained_models(cache)
    assert len(models) == 4  # de-xx: German queries, documents switched per token into the pool's languages
    by_sides = {(m["training_data"]["query_langs"][0], "+".join(m["training_data"]["doc_langs"])): m for m in models}
    assert set(by_sides) == {("de", "en"), ("en", "de"), ("de", "de"), ("de", "+".join(["en", *pool]))}
    switching = {sides: m["training_data"]["notes"]["code_switching"] for sides, m in by_sides.items()}
    assert switching[("de", "en")]["query_switched"] > 0 and switching[("de", "en")]["document_switched"] == 0
    assert switching[("en", "de")]["query_switched"] == 0 and switching[("en", "de")]["document_switched"] > 0
    assert all(s["p"] == 0.5 and s["seed"] == 0 and s["tokenization"] == "treebank" for s in switching.values())
    mixed = switching[("de", "+".join(["en", *pool]))]
    assert mixed["languages"] == {"query": "de", "document": "+".join(pool)} and mixed["document_switched"] > 0
    assert meta["training"]["languages"] == ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]
    assert meta["pairs"]["xquad-r/de-xx"]["run"]["model_key"] != meta["pairs"]["xquad-r/de-de"]["run"]["model_key"]


def test_ml_cs_trains_one_model_that_mixes_languages(tiny_backbone, data_dir, tmp_path, cache) -> None:
    meta = evaluate("ml-cs", tiny_backbone, data_dir, tmp_path, "de-en,en-de", "--param", "languages=de,it")
    [model] = trained_models(cache)
    assert model["languages"] == ["de", "en", "it"]
    notes = model["training_data"]["notes"]["code_switching"]
    assert notes["query_switched"] > 0 and notes["document_switched"] > 0 and notes["languages"]["query"] == "de+it"
    assert len({r["run"]["model_key"] for r in meta["pairs"].values()}) == 1


def test_wiki_cs_needs_title_files_and_trains_one_model(tiny_backbone, data_dir, tmp_path, cache) -> None:
    with pytest.raises(HarnessError, match="titles=LANG=PATH"):
        get_model("wiki-cs").describe()
    titles = tmp_path / "titles-de.tsv"
    titles.write_text("River\tFluss\nThe House (film)\tDas Haus (Film)\nWater\tWasser\n", encoding="utf-8")
    meta = evaluate("wiki-cs", tiny_backbone, data_dir, tmp_path, "de-en,en-en", "--param", f"titles=de={titles}")
    [model] = trained_models(cache)
    switching = model["training_data"]["notes"]["code_switching"]
    assert model["languages"] == ["de", "en"] and switching["p"] == 1.0 and switching["matching"] == "official"
    assert meta["pairs"]["xquad-r/de-en"]["run"]["zero_shot_languages"] == []


def test_translate_train_joins_translations_and_refuses_languages_without_them(tiny_backbone, data_dir, tmp_path, cache) -> None:
    with pytest.raises(HarnessError, match="no translated training data for de"):
        api.evaluate("translate-train", "xquad-r", pairs="de-en", model_params={"backbone": str(tiny_backbone), "epochs": 1},
                     data_dir=data_dir, submissions_dir=tmp_path / "subs", progress=False)
    assert get_model("translate-train").scope == "pair" and get_model("translate-train", per_pair=False).scope == "all"
    meta = evaluate("translate-train", tiny_backbone, data_dir, tmp_path, "es-en,es-es")
    models = {(m["training_data"]["query_langs"][0], m["training_data"]["doc_langs"][0]): m for m in trained_models(cache)}
    assert set(models) == {("es", "en"), ("es", "es")}  # one model per pair
    assert models[("es", "en")]["training_data"]["examples"] == 5  # the questions translated to Spanish
    assert meta["training"]["languages"] == ["en", "es"] and meta["pairs"]["xquad-r/es-en"]["run"]["zero_shot_languages"] == []


def test_cross_encoder_reranks_the_bm25_first_stage(tiny_backbone, data_dir, tmp_path, cache, java_runtime) -> None:
    meta = evaluate("zero-shot", tiny_backbone, data_dir, tmp_path, "en-en", "--param", "architecture=cross", "--param", "first_stage_depth=3")
    run = meta["pairs"]["xquad-r/en-en"]["run"]
    assert run["architecture"] == "cross" and run["first_stage"] == "bm25 top 3"
    assert trained_models(cache)[0]["parameters"]["architecture"] == "cross"


def test_untrained_backbone_and_bad_parameters(tiny_backbone, data_dir, tmp_path, cache, capsys) -> None:
    meta = evaluate("zero-shot", tiny_backbone, data_dir, tmp_path, "en-en", "--param", "epochs=0")
    assert trained_models(cache) == [] and meta["pairs"]["xquad-r/en-en"]["run"]["training_languages"] is None
    assert main(["eval", "--model", "zero-shot", "--dataset", "xquad-r/en-en", "--param", "architecture=triple", "--data-dir", str(data_dir)]) != 0
    assert "architecture must be one of bi, cross" in capsys.readouterr().err
    assert main(["eval", "--run", "x.trec", "--backbone", "b", "--dataset", "xquad-r/en-en"]) != 0
    assert PairId.parse("xquad-r/en-en").setting == "moir"


@pytest.mark.parametrize("architecture", ["bi", "cross"])
def test_a_protocols_candidate_list_is_what_gets_ranked(tiny_backbone, architecture) -> None:
    from harness.datasets.records import Document, DocumentCollection, PairTask, Query

    documents = [Document(f"d{i}", text, "en") for i, text in enumerate(["The house is red.", "Water is wet.", "Paris is the capital of France.", "Rome is in Italy."])]
    task = PairTask(
        PairId("toy", "en", "en"), [Query("q1", "Where is the house?", "en"), Query("q2", "What is wet?", "en")],
        DocumentCollection.from_documents("toy/en", documents), {"q1": {"d0": 1}, "q2": {"d1": 1}}, ("AP",),
        candidates={"q1": ["d0", "d2", "missing"], "q2": ["d1", "d3"]},
    )
    ranker = get_model("zero-shot", backbone=str(tiny_backbone), epochs=0, architecture=architecture)
    run = ranker.rank(task, progress=False)
    assert {q: set(d) for q, d in run.to_dict().items()} == {"q1": {"d0", "d2"}, "q2": {"d1", "d3"}}
    assert run.metadata["first_stage"] == "the protocol's candidates"


def test_a_fresh_cross_encoder_head_comes_from_the_seed(tiny_backbone) -> None:
    pairs = [("Where is the house?", "The house is red."), ("What is wet?", "Water is wet.")]
    scores = [get_model("zero-shot", backbone=str(tiny_backbone), architecture="cross", seed=seed).build().score(pairs) for seed in (1, 1, 2)]
    assert scores[0].tolist() == scores[1].tolist() != scores[2].tolist()


def test_dense_ranks_with_the_encoder_as_published_and_claims_no_training(tiny_backbone, data_dir, tmp_path, cache) -> None:
    from harness.models.dense import AS_PUBLISHED
    from harness.models.offline_e5 import PROVENANCE_FILE
    from tests.test_backbone_loading import st_folder

    folder = st_folder(tiny_backbone, tmp_path / "st", max_seq_length=32)
    (folder / PROVENANCE_FILE).write_text(json.dumps({"note": "4-bit weights, dequantized"}))

    def run(model: str, name: str, *params: str) -> dict:
        assert main(["eval", "--model", model, "--backbone", str(folder), "--dataset", "xquad-r", "--pairs", "en-en,de-en,en-xx", "--data-dir", str(data_dir),
                     "--submissions", str(tmp_path / "subs"), "--name", name, "--quiet", *params]) == 0
        return json.loads((tmp_path / "subs" / name / "meta.json").read_text())

    meta = run("dense", "dense")
    assert trained_models(cache) == [] and "training" not in meta  # nothing for the leaderboard to call zero-shot
    system = meta["system"]
    assert (system["training_data"], system["seed"], system["training"]) == (None, None, AS_PUBLISHED)
    encoder = {"pooling": "mean", "similarity": "cosine", "normalize": True, "max_length": 32, "query_prefix": "where: ", "document_prefix": "the ", "include_prompt": True}
    assert system["encoder"] == {"backbone": system["encoder"]["backbone"], **encoder}
    for record in meta["pairs"].values():
        run_record = record["run"]
        assert run_record["training"] == AS_PUBLISHED and not {"training_data", "training_languages", "zero_shot_languages"} & set(run_record)
        assert run_record["encoder"] == encoder and run_record["backbone"]["provenance"] == {"note": "4-bit weights, dequantized"}
    embeddings = set((cache / "embeddings").iterdir())
    # zero-shot without training ranks identically from the very same cached embeddings
    untrained = run("zero-shot", "untrained", "--param", "epochs=0")
    assert set((cache / "embeddings").iterdir()) == embeddings
    for pair, record in meta["pairs"].items():
        assert untrained["pairs"][pair]["measures"] == record["measures"]
        assert untrained["pairs"][pair]["run"]["zero_shot_languages"] is None
    # another prefix is another text set: new embeddings, other rankings
    other = run("dense", "other-prefix", "--param", "query_prefix=")
    assert len(set((cache / "embeddings").iterdir()) - embeddings) > 0
    assert other["pairs"]["xquad-r/en-en"]["run"]["encoder"]["query_prefix"] == ""
    # (compared on the runs' scores: on 4 toy queries both rankings may well be perfect)
    from harness.evaluation import read_run

    scores = [read_run(tmp_path / "subs" / name / "pairs" / "xquad-r" / "en-en" / "run.trec.gz").scores for name in ("dense", "other-prefix")]
    assert scores[0].shape == scores[1].shape and not np.allclose(scores[0], scores[1])

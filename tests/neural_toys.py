"""Tiny neural backbones and toy training data for the neural tests: built in a second, no download.

The backbone is a 2-layer BERT with random weights (seeded) and a WordPiece tokenizer trained
on the toy texts, saved as a Hugging Face folder, so every test goes through ``from_pretrained``.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

from tests.test_datasets_lareqa import paragraph, write_language

CORPUS = [
    "Paris is the capital of France.", "Berlin is the capital of Germany.", "The house is red.",
    "Paris ist die Hauptstadt von Frankreich.", "Berlin ist die Hauptstadt von Deutschland.", "Das Haus ist rot.",
    "Where is the house?", "What is the capital of France?", "Wo ist das Haus?", "Rome is in Italy.",
    "The river flows through the city.", "Der Fluss fliesst durch die Stadt.", "Water is wet.", "Das Wasser ist nass.",
]

# English training paragraphs: (sentences, [(question id, question, answer sentence index, answer word)])
SQUAD = [
    (["The river flows through the city.", "It is long and wide."], [("s1", "What flows through the city?", 0, "river"), ("s2", "How is the river?", 1, "long")]),
    (["Water is wet.", "Fire is hot.", "Ice is cold."], [("s3", "What is wet?", 0, "Water"), ("s4", "What is hot?", 1, "Fire"), ("s5", "What is cold?", 2, "Ice")]),
    (["The house is red.", "The door is green."], [("s6", "What colour is the house?", 0, "red"), ("s7", "What colour is the door?", 1, "green")]),
    (["Rome is in Italy.", "Madrid is in Spain."], [("s8", "Where is Rome?", 0, "Italy"), ("s9", "Where is Madrid?", 1, "Spain")]),
]

# Spanish translations of two of them (same question ids), as the translated SQuAD files have
SQUAD_ES = [
    (["El río atraviesa la ciudad.", "Es largo y ancho."], [("s1", "¿Qué atraviesa la ciudad?", 0, "río"), ("s2", "¿Cómo es el río?", 1, "largo")]),
    (["El agua es húmeda.", "El fuego es caliente.", "El hielo es frío."], [("s3", "¿Qué es húmedo?", 0, "agua"), ("s4", "¿Qué es caliente?", 1, "fuego"), ("s5", "¿Qué es frío?", 2, "hielo")]),
]

XQUAD = {
    "en": [(["Paris is the capital of France.", "The house is red."], [("x1", "What is the capital of France?", 0, "Paris"), ("x2", "What colour is the house?", 1, "red")]),
           (["Berlin is the capital of Germany.", "Water is wet."], [("x3", "What is the capital of Germany?", 0, "Berlin"), ("x4", "What is wet?", 1, "Water")])],
    "de": [(["Paris ist die Hauptstadt von Frankreich.", "Das Haus ist rot."], [("x1", "Was ist die Hauptstadt von Frankreich?", 0, "Paris"), ("x2", "Welche Farbe hat das Haus?", 1, "rot")]),
           (["Berlin ist die Hauptstadt von Deutschland.", "Das Wasser ist nass."], [("x3", "Was ist die Hauptstadt von Deutschland?", 0, "Berlin"), ("x4", "Was ist nass?", 1, "Wasser")])],
}

MUSE_EN_DE = ["the\tdie", "house\thaus", "is\tist", "red\trot", "river\tfluss", "city\tstadt", "water\twasser", "wet\tnass", "what\twas", "where\two"]
MUSE_EN_IT = ["the\tla", "house\tcasa", "is\tè", "water\tacqua"]


def build_tiny_backbone(folder: Path, seed: int = 0) -> Path:
    """A tiny BERT + WordPiece tokenizer folder loadable with ``from_pretrained``."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    texts = CORPUS + [q for _, qas in SQUAD for _, q, _, _ in qas] + [s for lang in XQUAD.values() for sents, qas in lang for s in sents + [q for _, q, _, _ in qas]]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(texts * 3, trainers.WordPieceTrainer(vocab_size=400, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    fast.save_pretrained(folder)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder)
    return folder


def write_squad(path: Path, paragraphs: list) -> Path:
    """A SQuAD v1.1 file (gzip) of ``(sentences, qas)`` paragraphs, sentences joined by a space."""
    data = [{"title": "toy", "paragraphs": [{"context": p["context"], "qas": p["qas"]} for p in (paragraph(s, q) for s, q in paragraphs)]}]
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        json.dump({"version": "1.1", "data": data}, out)
    return path


def build_data_dir(root: Path) -> Path:
    """A data directory with toy XQuAD-R (German translated, the other languages English), SQuAD dev (incl. XQuAD's paragraphs, which
    loaders must drop) with a Spanish translation of part of it and MUSE en-de / en-it dictionaries."""
    from harness.datasets import get_dataset

    # the MLIR pool needs every language's file: the others repeat the English toy
    for lang in get_dataset("xquad-r").languages:
        write_language(root / "lareqa" / "xquad-r", lang, [paragraph(s, q) for s, q in XQUAD.get(lang, XQUAD["en"])])
    write_squad(root / "squad" / "dev-v1.1.json.gz", SQUAD + XQUAD["en"])
    write_squad(root / "squad" / "dev-v1.1-es.json.gz", SQUAD_ES)
    for name, lines in (("en-de", MUSE_EN_DE), ("en-it", MUSE_EN_IT)):
        (root / "muse").mkdir(parents=True, exist_ok=True)
        with gzip.open(root / "muse" / f"{name}.txt.gz", "wt", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
    return root

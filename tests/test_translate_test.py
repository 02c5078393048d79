"""translate-test: the lexicon and seq2seq backends, the English view of a task, and the adapter
end to end on tiny models (a random BERT from tests/neural_toys.py, a random Marian built here)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.datasets.pairs import PairId
from harness.datasets.records import Document, DocumentCollection, PairTask, Query
from harness.errors import HarnessError
from harness.lexicons.treebank import detokenize, tokenize
from harness.models import get_model
from harness.models.translate_test import MODEL, PAPER
from harness.translation.cache import TranslationCache
from harness.translation.english_view import TranslationLog, english_task
from harness.translation.language_codes import LanguageCodes
from harness.translation.lexicon_backend import LexiconTranslator, translate_text
from harness.translation.seq2seq_backend import Seq2SeqTranslator
from tests.neural_toys import build_data_dir

# "es" means "it" in German and "is" in Spanish: a side through the wrong lexicon shows.
DE_EN = ["das\tthis", "das\tthe", "haus\thouse", "ist\tis", "rot\trot", "rot\tred", "wo\twhere", "es\tit", "was\twhat", "die\tthe",
         "hauptstadt\tcapital", "von\tof", "frankreich\tfrance", "deutschland\tgermany", "wasser\twater", "nass\twet"]
ES_EN = ["la\tthe", "casa\thouse", "es\tis", "roja\tred"]
EN_EN = ["the\tthe", "red\tred", "this\tthis", "house\thouse"]  # frequency order: "the" before "this", "red" before "rot"
SEQ2SEQ = {"ranker": "dense", "backend": "seq2seq", "num_beams": 1, "translation_max_length": 6}


def write_muse(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in (("de-en", DE_EN), ("es-en", ES_EN), ("en-en", EN_EN)):
        with gzip.open(folder / f"{name}.txt.gz", "wt", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
    return folder


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def muse(tmp_path: Path) -> Path:
    return write_muse(tmp_path / "muse")


@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer Marian with random weights (large enough that outputs depend on the input) and a
    word-level tokenizer, saved as a checkpoint folder."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-marian")
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    texts = ["das haus ist rot", "wo ist das haus", "the house is red", "der fluss fliesst durch die stadt", "la casa es roja"]
    tokenizer.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>"]))
    tokenizer.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>", eos_token="</s>",
                            model_input_names=["input_ids", "attention_mask"]).save_pretrained(folder)
    torch.manual_seed(0)
    config = MarianConfig(vocab_size=tokenizer.get_vocab_size(), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                          decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64, pad_token_id=0,
                          eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1, init_std=1.0)
    MarianMTModel(config).save_pretrained(folder)
    return folder


def toy_task(pair: PairId, queries: list[tuple[str, str, str]], documents: list[tuple[str, str, str]], **extra) -> PairTask:
    docs = [Document(*d) for d in documents]
    return PairTask(pair, [Query(*q) for q in queries], DocumentCollection.from_documents(f"toy/{pair.doc_lang}", docs),
                    {q[0]: {documents[0][0]: 1} for q in queries}, ("AP",), **extra)


POOL = toy_task(PairId("toy", "de", "xx"), [("q1", "Wo ist das rote Haus?", "de"), ("q2", "Es ist rot.", "de")],
                [("d1", "Das Haus ist rot.", "de"), ("d2", "Wasser ist nass.", "de"), ("d3", "La casa es roja.", "es"),
                 ("d4", "Es roja.", "es"), ("d5", "The House is red.", "en")])


def test_treebank_tokens_split_punctuation_and_clitics_and_detokenize_back() -> None:
    assert tokenize('Er sagte: "Don\'t go!"') == ["Er", "sagte", ":", "``", "Do", "n't", "go", "!", "''"]
    for text in ('Er sagte: "Don\'t go!"', "Wo ist das Haus? Hier (links), 3.5 km.", "北京是首都。"):
        assert detokenize(tokenize(text)) == text


def test_lexicon_translation_lowercases_keeps_unknown_tokens_and_counts_coverage(muse: Path) -> None:
    translator = LexiconTranslator(muse, "toy")
    texts, counts = translator.translate(["Das Haus ist ROT!", "Wo ist Paris?", "Wasser \"nass\", nicht?"], "de")
    assert texts == ["the house is red!", "where is paris?", 'water "wet", nicht?']
    assert counts[0] == {"texts": 1, "tokens": 5, "covered": 4, "words": 4, "covered_words": 4}
    assert counts[1] == {"texts": 1, "tokens": 4, "covered": 2, "words": 3, "covered_words": 2}
    assert counts[2] == {"texts": 1, "tokens": 7, "covered": 2, "words": 3, "covered_words": 2}  # wasser `` nass '' , nicht ?
    summary = translator.summarize({"tokens": 17, "covered": 8, "words": 10, "covered_words": 8})
    assert summary["token_share"] == pytest.approx(8 / 17, abs=1e-12) and summary["word_share"] == pytest.approx(0.8, abs=1e-12)
    # the first translation listed instead of the most frequent English one
    assert LexiconTranslator(muse, "toy", "first").translate(["Das Haus ist rot."], "de")[0] == ["this house is rot."]
    assert set(translator.record()["lexicons"]) == {"de"} and translator.record()["english_ranks"]["file"] == "en-en.txt.gz"
    described = translator.describe()["lexicons"]
    assert set(described["sha256"]) == {"de-en.txt.gz", "es-en.txt.gz", "en-en.txt.gz"} and described["folder"] == "toy"
    with pytest.raises(HarnessError, match=r"no MUSE dictionary for fr->en: expected .*fr-en\.txt\.gz"):
        translator.translate(["Bonjour"], "fr")
    with pytest.raises(HarnessError, match="choice must be one of frequent, first"):
        LexiconTranslator(muse, "toy", "random")


def test_each_side_goes_through_its_own_languages_lexicon_and_english_stays_untouched(muse: Path) -> None:
    task = toy_task(PairId("toy", "de", "xx"), [("q1", "Es ist rot.", "de")],
                    [("d1", "La casa es roja.", "es"), ("d2", "Es ist rot.", "de"), ("d3", "The House is RED.", "en")])
    log = TranslationLog()
    view = english_task(task, LexiconTranslator(muse, "toy"), log)
    assert [(q.text, q.lang) for q in view.queries] == [("it is red.", "en")]
    documents = {d.doc_id: d.text for d in view.documents}
    # the released code would put the Spanish document through the German lexicon: "la casa it roja."
    assert documents == {"d1": "the house is red.", "d2": "it is red.", "d3": "The House is RED."}
    assert view.pair == PairId("toy", "en", "xx") and view.documents.languages == ("en",) and {d.lang for d in view.documents} == {"en"}
    assert view.documents.get_many(["d1", "nope"])["d1"].text == "the house is red."
    assert (view.qrels, view.candidates, view.measures) == (task.qrels, None, task.measures)
    record = log.record(LexiconTranslator(muse, "toy"))
    # read twice (iterated and fetched), each document counted once
    assert record["documents"]["es"] == {"texts": 1, "tokens": 5, "covered": 4, "words": 4, "covered_words": 4, "token_share": 0.8, "word_share": 1.0}
    assert record["documents"]["en"] == {"texts": 1, "untouched": True} and record["queries"]["de"]["covered"] == 3


@pytest.mark.realdata
def test_real_muse_german_dictionary_translates_a_few_words(real_data_dir: Path) -> None:
    translator = LexiconTranslator(real_data_dir / "muse", "DATA_DIR/muse")
    assert translator.translate(["Der Hund ist groß.", "Der Fluss fließt durch die Stadt."], "de")[0] == [
        "the dog is great.", "the river flows through the city."]
    first = LexiconTranslator(real_data_dir / "muse", "DATA_DIR/muse", "first")
    assert first.translate(["Der Hund ist rot."], "de")[0] == ["the hound is rot."]  # MUSE lists hound before dog, rot before red
    assert translate_text("Haus", {"haus": "house"}) == ("house", {"texts": 1, "tokens": 1, "covered": 1, "words": 1, "covered_words": 1})
    assert translator.record()["lexicons"]["de"]["entries"] == 78_200


def test_seq2seq_translates_in_batches_and_a_second_call_reads_the_cache(tiny_marian: Path, tmp_path: Path, monkeypatch) -> None:
    import torch
    from transformers import MarianMTModel

    calls: list[int] = []
    generate = MarianMTModel.generate

    def counted(self, **inputs):
        calls.append(inputs["input_ids"].shape[0])
        return generate(self, **inputs)

    monkeypatch.setattr(MarianMTModel, "generate", counted)
    texts = ["das haus ist rot", "wo ist das haus", "der fluss", "stadt", "die stadt ist rot und das haus", "der fluss"]

    def translator(batch_size: int, root: Path) -> Seq2SeqTranslator:
        return Seq2SeqTranslator(str(tiny_marian), device=lambda: torch.device("cpu"), num_beams=1, max_length=5, batch_size=batch_size,
                                 cache=TranslationCache(root))

    translated, counts = translator(2, tmp_path / "tc").translate(texts, "de")
    assert sorted(calls) == [1, 2, 2] and counts == [{"texts": 1, "cached": 0}] * 6  # 5 distinct texts, batches of 2
    assert translated[2] == translated[5] and len(set(translated)) > 1  # the random model's outputs follow its input
    calls.clear()
    assert translator(1, tmp_path / "alone").translate(texts, "de")[0] == translated  # batching changes nothing
    assert sorted(calls) == [1] * 5
    entry = next((tmp_path / "tc").iterdir())
    assert json.loads((entry / "key.json").read_text())["source"] == "de" and len(list(entry.glob("*.shard.json"))) == 1

    # a fresh process: everything from the disk, the model never loaded
    cached = translator(2, tmp_path / "tc")
    monkeypatch.setattr(Seq2SeqTranslator, "_load", lambda self, lang: pytest.fail("the model ran on cached texts"))
    again, counts = cached.translate(texts, "de")
    assert again == translated and counts == [{"texts": 1, "cached": 1}] * 6
    monkeypatch.undo()
    calls.clear()
    monkeypatch.setattr(MarianMTModel, "generate", counted)
    _, counts = cached.translate(["das haus", "stadt"], "de")  # one new text: only it is generated
    assert calls == [1] and counts == [{"texts": 1, "cached": 0}, {"texts": 1, "cached": 1}]
    # another source language is another entry
    translator(2, tmp_path / "tc").translate(["la casa"], "es")
    assert len(list((tmp_path / "tc").iterdir())) == 2


def test_language_codes(tiny_marian: Path) -> None:
    import torch

    assert LanguageCodes("nllb").code("de") == "deu_Latn" and LanguageCodes("iso").code("de") == "de" and LanguageCodes(None).code("de") is None
    assert LanguageCodes("de=deu_Latn, en=eng_Latn").code("en") == "eng_Latn"
    with pytest.raises(HarnessError, match="en=CODE"):
        LanguageCodes("de=deu_Latn")
    with pytest.raises(HarnessError, match="no code for 'xx'"):
        LanguageCodes("nllb").code("xx")
    with pytest.raises(HarnessError, match="takes no source language"):
        Seq2SeqTranslator(str(tiny_marian), device=lambda: torch.device("cpu"), language_codes="nllb", max_length=4).translate(["das haus"], "de")


def test_parameters_declare_their_origin_and_bad_combinations_fail_early(tiny_backbone: Path) -> None:
    assert all(p.origin in ("ours", PAPER) or p.origin.startswith("paper: ") for p in MODEL.params)
    assert {p.name for p in MODEL.params if p.origin != "ours"} == {"ranker", "backend"}
    with pytest.raises(HarnessError, match="ranker must be one of zero-shot, dense"):
        get_model("translate-test", ranker="bm25")
    with pytest.raises(HarnessError, match="takes no epochs=3"):
        get_model("translate-test", ranker="dense", epochs=3)
    with pytest.raises(HarnessError, match="needs translation_model"):
        get_model("translate-test", backend="seq2seq")
    inner = get_model("translate-test", backbone=str(tiny_backbone), epochs=2, max_length=32).inner
    assert inner.name == "zero-shot" and (inner.params["epochs"], inner.params["max_length"]) == (2, 32)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = build_data_dir(tmp_path / "data")
    write_muse(root / "muse")
    return root


def evaluate(tmp_path: Path, data_dir: Path, model: str, name: str, pairs: str, *params: str) -> dict:
    assert main(["eval", "--model", model, "--dataset", "xquad-r", "--pairs", pairs, "--data-dir", str(data_dir), "--submissions",
                 str(tmp_path / "subs"), "--name", name, "--quiet", "--param", "max_length=32", *params]) == 0
    return json.loads((tmp_path / "subs" / name / "meta.json").read_text())


def test_dense_translate_test_end_to_end(tiny_backbone: Path, data_dir: Path, tmp_path: Path, cache: Path) -> None:
    backbone = ["--param", f"backbone={tiny_backbone}"]
    plain = evaluate(tmp_path, data_dir, "dense", "dense", "en-en", *backbone)
    embeddings = set((cache / "embeddings").iterdir())
    meta = evaluate(tmp_path, data_dir, "translate-test", "tt", "en-en,de-en,en-de,de-de", *backbone, "--param", "ranker=dense",
                    "--param", f"lexicon_dir={data_dir / 'muse'}")
    # English is left as it is: the same texts, the same cached embeddings, the same numbers
    assert meta["pairs"]["xquad-r/en-en"]["measures"] == plain["pairs"]["xquad-r/en-en"]["measures"]
    assert len(set((cache / "embeddings").iterdir()) - embeddings) == 2  # translated German queries, translated German documents: once each
    system = meta["system"]
    assert system["model"] == "translate-test" and system["training"] == "none: the encoder as published"
    assert system["translation"]["backend"] == "lexicon" and "de-en.txt.gz" in system["translation"]["lexicons"]["sha256"]
    runs = {pair[len("xquad-r/"):]: record["run"] for pair, record in meta["pairs"].items()}
    assert runs["de-en"]["ranker"] == "dense" and runs["de-en"]["translation"]["lexicons"]["de"]["file"] == "de-en.txt.gz"
    # the toy German questions: 24 tokens, 20 words, 17 with an entry (welche, farbe, hat have none)
    queries = runs["de-en"]["translation"]["queries"]["de"]
    assert (queries["texts"], queries["tokens"], queries["covered"], queries["words"]) == (4, 24, 17, 20)
    assert queries["word_share"] == pytest.approx(17 / 20, abs=1e-12)
    assert runs["de-en"]["translation"]["documents"] == {"en": {"texts": 4, "untouched": True}}
    documents = runs["en-de"]["translation"]["documents"]["de"]  # four German sentences; paris and berlin have no entry
    assert (documents["texts"], documents["tokens"], documents["covered"], documents["words"]) == (4, 24, 18, 20)
    assert runs["en-de"]["translation"]["queries"] == {"en": {"texts": 4, "untouched": True}}


def test_zero_shot_translate_test_reuses_the_english_model(tiny_backbone: Path, data_dir: Path, tmp_path: Path, cache: Path) -> None:
    fast = ["--param", f"backbone={tiny_backbone}", "--param", "batch_size=4", "--param", "epochs=1"]
    zero_shot = evaluate(tmp_path, data_dir, "zero-shot", "zs", "en-en", *fast)
    meta = evaluate(tmp_path, data_dir, "translate-test", "tt", "de-en,en-en", *fast)
    assert len(list((cache / "models").glob("*/training.json"))) == 1  # the zero-shot model, trained once
    run = meta["pairs"]["xquad-r/de-en"]["run"]
    assert run["model_key"] == zero_shot["pairs"]["xquad-r/en-en"]["run"]["model_key"]
    assert (run["training_languages"], run["zero_shot_languages"]) == (["en"], [])  # the ranker saw English only
    assert meta["pairs"]["xquad-r/en-en"]["measures"] == zero_shot["pairs"]["xquad-r/en-en"]["measures"]
    assert meta["system"]["translation"]["lexicons"]["folder"] == "DATA_DIR/muse"


def test_a_pool_in_two_languages_is_translated_per_document_language(tiny_backbone: Path, muse: Path) -> None:
    ranker = get_model("translate-test", ranker="dense", backbone=str(tiny_backbone), lexicon_dir=str(muse), max_length=32)
    run = ranker.rank(POOL, progress=False)
    assert {q: len(docs) for q, docs in run.to_dict().items()} == {"q1": 5, "q2": 5}
    translation = run.metadata["translation"]
    assert set(translation["lexicons"]) == {"de", "es"} and translation["english_ranks"]["file"] == "en-en.txt.gz"
    assert {lang: c["texts"] for lang, c in translation["documents"].items()} == {"de": 2, "en": 1, "es": 2}
    assert (translation["documents"]["es"]["tokens"], translation["documents"]["es"]["covered"]) == (8, 6)  # la casa es roja . | es roja .


def test_a_cross_encoder_translates_only_the_candidates_it_fetches(tiny_backbone: Path, muse: Path) -> None:
    task = toy_task(POOL.pair, [(q.query_id, q.text, q.lang) for q in POOL.queries], [(d.doc_id, d.text, d.lang) for d in POOL.documents],
                    candidates={"q1": ["d1", "d3"], "q2": ["d3"]})
    ranker = get_model("translate-test", backbone=str(tiny_backbone), lexicon_dir=str(muse), epochs=0, architecture="cross", max_length=32)
    run = ranker.rank(task, progress=False)
    assert {q: set(d) for q, d in run.to_dict().items()} == {"q1": {"d1", "d3"}, "q2": {"d3"}}
    assert {lang: c["texts"] for lang, c in run.metadata["translation"]["documents"].items()} == {"de": 1, "es": 1}
    assert run.metadata["first_stage"] == "the protocol's candidates"


def test_seq2seq_translate_test_end_to_end(tiny_backbone: Path, tiny_marian: Path) -> None:
    params = {**SEQ2SEQ, "translation_model": str(tiny_marian), "backbone": str(tiny_backbone), "max_length": 32}
    first = get_model("translate-test", **params)
    described = first.describe()["translation"]
    assert described["checkpoint"]["source"] == "folder" and described["generation"]["num_beams"] == 1
    run = first.rank(POOL, progress=False)
    translation = run.metadata["translation"]
    assert translation["queries"]["de"] == {"texts": 2, "cached": 0} and translation["documents"]["es"] == {"texts": 2, "cached": 0}
    assert list(translation["checkpoints"]) == [str(tiny_marian)]
    again = get_model("translate-test", **params).rank(POOL, progress=False)
    assert again.metadata["translation"]["documents"]["de"] == {"texts": 2, "cached": 2}
    assert again.to_dict() == run.to_dict()

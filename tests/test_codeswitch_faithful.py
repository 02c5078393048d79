"""The code-switching track as the paper's official code does it (mainlp/CodeSwitchCLIR@729dff8):
Treebank tokens, the per-token language draw of an xx side, the Wiki-CS notebook's matching with
NLTK's stopwords, and the adapters' parameters that select them."""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from harness.codeswitch import bl_cs, ml_cs, wiki_cs
from harness.codeswitch.tokens import substitute_words
from harness.codeswitch.training_file import switch_examples
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.lexicons import Lexicon, read_titles
from harness.lexicons.titles import clean_title_official
from harness.lexicons.words import english_stopwords
from harness.models import get_model, get_spec
from harness.training.examples import TrainingExample
from tests.neural_toys import SQUAD_ES, build_data_dir, write_squad

VOCABULARY = [f"w{i}" for i in range(50)]
POOL = ("ar", "de", "it", "nl", "ru")


def tagged(language: str, words=VOCABULARY) -> Lexicon:
    """A lexicon translating every word ``w`` to ``w_LANG``."""
    return Lexicon("en", language, {w: (f"{w}_{language}",) for w in words}, "fixture")


def long_text(n: int, seed: int = 5) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(VOCABULARY[i] for i in rng.integers(len(VOCABULARY), size=n))


def language_shares(text: str) -> dict[str, float]:
    tokens = text.split()
    return {lang: sum(t.endswith(f"_{lang}") for t in tokens) / len(tokens) for lang in POOL}


# --- tokenization -------------------------------------------------------------------------------

def test_treebank_offers_every_token_and_detokenizes_while_regex_replaces_words_in_place():
    offered: list[str] = []
    substitute_words("I don't  like it.", lambda token: offered.append(token) or None)
    assert offered == ["I", "do", "n't", "like", "it", "."]  # punctuation and clitics are tokens too
    lexicon = Lexicon("en", "de", {"red": ("rot",), "house": ("haus",)}, "fixture")
    text = 'The  red house said "red" (twice).'
    treebank = bl_cs(text, lexicon, 1.0, rng=np.random.default_rng(0))
    assert treebank.text == 'The rot haus said "rot" (twice).'  # Treebank spacing: the double space is gone
    assert (treebank.words, treebank.switched) == (6, 3)
    regex = bl_cs(text, lexicon, 1.0, rng=np.random.default_rng(0), tokenization="regex")
    assert regex.text == 'The  rot haus said "rot" (twice).' and (regex.words, regex.switched) == (6, 3)
    assert bl_cs(text, lexicon, 0.0, rng=np.random.default_rng(0), tokenization="regex").text == text
    with pytest.raises(HarnessError, match="tokenization must|unknown tokenization"):
        bl_cs(text, lexicon, 0.5, rng=np.random.default_rng(0), tokenization="spaces")


def test_bl_cs_draws_once_per_treebank_token_punctuation_included():
    text, lexicon = "w1, w2; w3: w4!", tagged("de")
    draws = np.random.default_rng(7).random(8)  # 4 words and 4 punctuation tokens, in order
    expected = [f"w{i}_de" if draws[2 * (i - 1)] < 0.5 else f"w{i}" for i in range(1, 5)]
    words = [t.rstrip(",;:!") for t in bl_cs(text, lexicon, 0.5, rng=np.random.default_rng(7)).text.split()]
    assert words == expected


def test_ml_cs_draws_the_language_only_for_a_switched_token():
    text, lexicons = long_text(400), {lang: tagged(lang) for lang in POOL}
    rng = np.random.default_rng(11)
    expected = []
    for word in text.split():  # the official order: one draw against p, then one for the language if below
        expected.append(f"{word}_{POOL[int(rng.integers(len(POOL)))]}" if rng.random() < 0.3 else word)
    assert ml_cs(text, lexicons, 0.3, rng=np.random.default_rng(11)).text.split() == expected


# --- multilingual (xx) sides --------------------------------------------------------------------

def test_an_xx_side_mixes_the_pool_languages_uniformly_per_token():
    lexicons = {lang: tagged(lang) for lang in POOL}
    example = TrainingExample(long_text(20_000, seed=1), long_text(20_000, seed=2))
    (en_xx,), report = switch_examples([example], "bl-cs", lexicons, p=1.0, seed=3, query_lang="en", doc_lang="xx")
    assert en_xx.query == example.query and report.query_switched == 0  # the English side stays as it is
    assert report.document_switched == 20_000 and report.languages == {"query": "en", "document": "ar+de+it+nl+ru"}
    shares = language_shares(en_xx.positive)
    # 20,000 draws of 1 in 5: a standard error of 0.0028; 0.015 is over 5 of them
    assert all(abs(share - 0.2) < 0.015 for share in shares.values()), shares
    (xx_en,), report = switch_examples([example], "bl-cs", lexicons, p=0.5, seed=3, query_lang="xx", doc_lang="en")
    assert xx_en.positive == example.positive and abs(report.query_share - 0.5) < 0.015
    switched = language_shares(xx_en.query)
    assert all(abs(share / 0.5 - 0.2) < 0.03 for share in switched.values()), switched
    (xx_xx,), report = switch_examples([example], "bl-cs", lexicons, p=1.0, seed=3, query_lang="xx", doc_lang="xx", xx_languages=["de", "it"])
    assert report.languages == {"query": "de+it", "document": "de+it"}
    assert {t.rsplit("_", 1)[1] for t in (xx_xx.query + " " + xx_xx.positive).split()} == {"de", "it"}


def test_a_seeded_xx_draw_is_reproducible_and_another_seed_draws_otherwise():
    lexicons = {lang: tagged(lang) for lang in POOL}
    examples = [TrainingExample(long_text(300, seed=s), long_text(300, seed=s + 1)) for s in range(3)]

    def run(seed: int) -> list[TrainingExample]:
        return switch_examples(examples, "bl-cs", lexicons, p=0.5, seed=seed, query_lang="de", doc_lang="xx")[0]

    assert run(4) == run(4) and run(4) != run(5)


def test_an_xx_side_needs_a_lexicon_for_every_pool_language():
    example = [TrainingExample("w1 w2", "w3")]
    with pytest.raises(HarnessError, match="no EN->ru lexicon"):
        switch_examples(example, "bl-cs", {"de": tagged("de")}, query_lang="en", doc_lang="xx", xx_languages=["de", "ru"])
    with pytest.raises(HarnessError, match="at least one non-English language"):
        switch_examples(example, "bl-cs", {"de": tagged("de")}, query_lang="xx", doc_lang="en", xx_languages=["en"])


# --- Wiki-CS as the notebook does it ------------------------------------------------------------

def test_nltk_english_stopwords_are_the_vendored_179_and_leave_content_words_alone():
    nltk = english_stopwords("nltk")
    assert len(nltk) == 179 and {"i", "the", "ourselves", "wouldn't", "ma"} <= nltk
    blocked_by_sklearn = {"system", "fire", "bill", "find", "interest"}  # ("computer" is in neither list)
    assert blocked_by_sklearn <= english_stopwords("sklearn") and not blocked_by_sklearn & nltk


def test_official_matching_replaces_titles_that_scikit_learns_list_blocks():
    titles = Lexicon("en", "de", {"fire": ("feuer",), "interest": ("zins",), "computer": ("rechner",), "the": ("der",)}, "f")
    text = "The fire reached the computer of interest"
    assert wiki_cs(text, titles).text == "the feuer reached the rechner of zins"
    assert wiki_cs(text, titles, matching="tokens").text == "the fire reached the rechner of interest"


def test_official_matching_orders_by_characters_and_replaces_substrings():
    # the 12-character unigram goes first; its translation holds the bigram, replaced next
    titles = Lexicon("en", "de", {"abcdefghijkl": ("q r",), "q r": ("xy",)}, "f")
    result = wiki_cs("Q R abcdefghijkl", titles)
    assert result.text == "xy xy" and (result.words, result.switched) == (3, 3)
    # whitespace tokens keep punctuation ('city,' is no title); a title matches inside words and
    # inside an earlier replacement ('york' in 'new york stadt')
    titles = Lexicon("en", "de", {
        "new york": ("new york stadt",), "york": ("yorkshire",), "the beatles": ("die beatles",), "city": ("stadt",), "art": ("kunst",),
    }, "f")
    result = wiki_cs("The Beatles played New York City, then York; art start", titles)
    assert result.text == "die beatles played new yorkshire stadt city, then yorkshire; kunst stkunst"
    assert wiki_cs("The Beatles", None).text == "The Beatles" and wiki_cs("The Beatles", None).words == 2


def test_official_title_reading_cleans_only_the_foreign_title_and_keeps_the_last_duplicate(tmp_path):
    assert clean_title_official("Kategorie:Merkur (Planet)") == "merkur"
    assert clean_title_official("A: B: C") == "b" and clean_title_official("(Film)") == ""
    path = tmp_path / "en-de.titles.tsv"
    path.write_text(
        "Mercury (planet)\tMerkur (Planet)\nFire\tFeuer\nFire\tBrand\nCategory:Music\tKategorie:Musik\nThe Film\t(Film)\n\n", encoding="utf-8"
    )
    official = read_titles(path, matching="official")
    assert dict(official.entries) == {
        "mercury (planet)": ("merkur",), "fire": ("brand",), "category:music": ("musik",), "the film": ("",),
    }
    tokens = read_titles(path)
    assert dict(tokens.entries) == {"mercury": ("merkur",), "fire": ("feuer", "brand"), "music": ("musik",)}
    # a foreign title that cleans to nothing deletes its English n-gram, as the notebook's str.replace does
    assert wiki_cs("See the film tonight", official).text == "see  tonight"
    with pytest.raises(HarnessError, match="unknown title matching"):
        read_titles(path, matching="fuzzy")


# --- the adapters -------------------------------------------------------------------------------

def test_every_code_switching_parameter_says_where_its_default_comes_from():
    own = {"bl-cs": {"p", "policy", "lexicon_dir", "tokenization", "xx_languages"}, "ml-cs": {"p", "policy", "lexicon_dir", "tokenization", "languages"},
           "wiki-cs": {"titles", "matching"}}
    for model, names in own.items():
        params = {p.name: p for p in get_spec(model).params}
        assert names <= set(params)
        for name in names:
            origin = params[name].origin or ""
            assert origin.startswith(("paper: mainlp/CodeSwitchCLIR@729dff8:src/", "ours")), (model, name, origin)
    defaults = {p.name: p.default for p in get_spec("bl-cs").params} | {p.name: p.default for p in get_spec("wiki-cs").params}
    assert (defaults["tokenization"], defaults["matching"]) == ("treebank", "official")


def test_the_options_are_recorded_and_part_of_the_model_key():
    treebank, regex = get_model("bl-cs"), get_model("bl-cs", tokenization="regex")
    assert treebank.describe()["parameters"]["tokenization"] == "treebank"
    assert regex.describe()["training_data"]["tokenization"] == "regex"
    assert treebank.training_parameters() != regex.training_parameters()
    assert get_model("wiki-cs", titles="de=x.tsv", matching="tokens").describe()["training_data"]["matching"] == "tokens"
    with pytest.raises(HarnessError, match="tokenization must be one of treebank, regex"):
        get_model("ml-cs", tokenization="words")
    with pytest.raises(HarnessError, match="matching must be one of official, tokens"):
        get_model("wiki-cs", matching="exact")


def test_bl_cs_switches_an_xx_side_into_the_pool_languages():
    ranker = get_model("bl-cs")
    lareqa = ["ar", "de", "en", "zh"]
    assert ranker.pool(PairId("xquad-r", "de", "xx"), lareqa) == ["ar", "de", "zh"]  # the collection's languages
    assert ranker.pool(PairId("mmarco", "xx", "en"), ["en"]) == ["ar", "de", "it", "nl", "ru"]  # the paper's seen ones
    assert ranker.pool(PairId("mmarco", "xx", "xx"), ["en", "de", "it", "nl", "ru", "ar"]) == ["ar", "de", "it", "nl", "ru"]
    assert ranker.pool(PairId("xquad-r", "de", "en"), lareqa) == []
    assert get_model("bl-cs", xx_languages="it, de,en").pool(PairId("mmarco", "en", "xx"), lareqa) == ["de", "it"]


@pytest.fixture
def data_dir(tmp_path):
    root = build_data_dir(tmp_path / "data")
    for name in ("dev-v1.1-it.json.gz", "dev-v2.0-zh.json.gz"):  # stand-ins: every language of the squad source
        write_squad(root / "squad" / name, SQUAD_ES)
    return root


def test_bl_cs_trains_an_xx_query_side_that_failed_before(data_dir):
    ranker = get_model("bl-cs", train_data="squad", xx_languages="de,it", p=1.0)
    ranker.data_dir = data_dir
    training = ranker.training_set(PairId("mmarco", "xx", "en"), ["en"])
    switching = training.notes["code_switching"]
    assert (training.query_langs, training.doc_langs) == (("en", "de", "it"), ("en",))
    assert switching["languages"] == {"query": "de+it", "document": "en"} and switching["tokenization"] == "treebank"
    assert switching["query_switched"] > 0 and switching["document_switched"] == 0
    english = get_model("zero-shot", train_data="squad")
    english.data_dir = data_dir
    original = english.training_set(PairId("mmarco", "xx", "en"), ["en"])
    assert [e.positive for e in training.examples] == [e.positive for e in original.examples]
    assert [e.query for e in training.examples] != [e.query for e in original.examples]


def test_translate_train_serves_an_xx_query_side_with_every_language_of_the_source(data_dir):
    ranker = get_model("translate-train", train_data="squad")
    ranker.data_dir = data_dir
    training = ranker.training_set(PairId("mmarco", "xx", "en"), ["en"])
    assert training.query_langs == ("en", "es", "it", "zh") and training.doc_langs == ("en",)
    assert training.notes["query_side"] == "xx query side: queries in every language of squad (en, es, it, zh)"
    assert len(training.notes["parts"]) == 4
    assert json.loads(json.dumps(training.describe()))["notes"]["query_side"] == training.notes["query_side"]  # a model's metadata


def test_the_vendored_stopword_file_records_its_provenance():
    from importlib.resources import files

    about = json.loads(files("harness.lexicons").joinpath("nltk_english_stopwords.json").read_text(encoding="utf-8"))["about"]
    assert about["words"] == 179 and "nltk/nltk_data@5db857e" in about["source"] and "license" in about


def test_the_cli_switches_an_xx_side_into_the_given_lexicons_languages(tmp_path, capsys):
    from harness.cli import main

    source = tmp_path / "train.tsv"
    source.write_text("w1 w2 w3 w4 w5 w6 w7 w8\tw9 w10\n" * 50, encoding="utf-8")
    lexicons = []
    for lang in ("de", "it"):
        path = tmp_path / f"en-{lang}.txt"
        path.write_text("".join(f"w{i}\tw{i}_{lang}\n" for i in range(1, 11)), encoding="utf-8")
        lexicons += ["--lexicon", str(path)]
    args = ["codeswitch", "--method", "bl-cs", *lexicons, "--query-lang", "xx", "--doc-lang", "en", "--p", "1", "--format", "json"]
    assert main([*args, str(source), str(tmp_path / "out.tsv")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["languages"] == {"query": "de+it", "document": "en"} and report["tokenization"] == "treebank"
    assert (report["query_switched"], report["document_switched"]) == (400, 0)
    queries = [line.split("\t")[0] for line in (tmp_path / "out.tsv").read_text(encoding="utf-8").splitlines()]
    suffixes = Counter(token.rsplit("_", 1)[1] for query in queries for token in query.split())
    assert abs(suffixes["de"] / 400 - 0.5) < 0.1  # 400 draws of 1 in 2: 0.1 is four standard errors

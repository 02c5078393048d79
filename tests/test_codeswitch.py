"""Lexicons and the code-switching transforms of SPEC section 4: their exact behaviour."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from harness.cli import main
from harness.codeswitch import bl_cs, ml_cs, wiki_cs
from harness.codeswitch.training_file import switch_file
from harness.errors import HarnessError
from harness.lexicons import Lexicon, clean_title, coverage, read_muse, read_titles

VOCABULARY = [f"w{i}" for i in range(50)]


def tagged(language: str, words=VOCABULARY) -> Lexicon:
    """A lexicon translating every word ``w`` to ``w_LANG``."""
    return Lexicon("en", language, {w: (f"{w}_{language}",) for w in words}, "fixture")


def long_text(n: int = 20_000, seed: int = 5) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(VOCABULARY[i] for i in rng.integers(len(VOCABULARY), size=n))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_the_switched_share_converges_to_p(p):
    result = bl_cs(long_text(), tagged("de"), p, rng=np.random.default_rng(0))
    assert result.words == 20_000
    assert abs(result.switched / result.words - p) < 0.015  # 4.5 standard errors at p = 0.5
    assert sum(w.endswith("_de") for w in result.text.split()) == result.switched


def test_only_words_in_the_lexicon_change_and_case_and_punctuation_are_kept():
    lexicon = Lexicon("en", "de", {"house": ("haus",), "red": ("rot",), "well-known": ("bekannt",)}, "fixture")
    text = "The House, the RED house; a well-known tree! (house)"
    result = bl_cs(text, lexicon, 1.0, rng=np.random.default_rng(0))
    # looked up lowercased, replaced by the lexicon's form; spaces and punctuation untouched
    assert result.text == "The haus, the rot haus; a bekannt tree! (haus)"
    assert (result.words, result.switched) == (9, 5)
    assert bl_cs(text, lexicon, 0.0, rng=np.random.default_rng(0)).text == text


def test_the_same_seed_gives_the_same_output_and_another_seed_another():
    text, lexicon = long_text(500), tagged("de")
    first = bl_cs(text, lexicon, 0.5, rng=np.random.default_rng(3)).text
    assert bl_cs(text, lexicon, 0.5, rng=np.random.default_rng(3)).text == first
    assert bl_cs(text, lexicon, 0.5, rng=np.random.default_rng(4)).text != first


def test_switched_positions_do_not_depend_on_what_the_lexicon_covers():
    text = long_text(300)
    full = bl_cs(text, tagged("de"), 0.5, rng=np.random.default_rng(1)).text.split()
    half = bl_cs(text, tagged("de", VOCABULARY[:25]), 0.5, rng=np.random.default_rng(1)).text.split()
    assert [w for w in half if w.endswith("_de")] == [w for w in full if w.endswith("_de") and w[:-3] in VOCABULARY[:25]]


def test_the_all_translations_policy_draws_among_them():
    lexicon = Lexicon("en", "de", {"the": ("die", "der", "das")}, "fixture")
    rng = np.random.default_rng(0)
    drawn = {lexicon.translate("The", "all", rng) for _ in range(200)}
    assert drawn == {"die", "der", "das"} and lexicon.translate("the") == "die"
    with pytest.raises(HarnessError, match="unknown translation policy"):
        lexicon.translate("the", "some", rng)


def test_ml_cs_mixes_languages_within_one_text():
    lexicons = {lang: tagged(lang) for lang in ("de", "it", "nl", "ru", "ar")}
    result = ml_cs(long_text(5_000), lexicons, 1.0, rng=np.random.default_rng(0))
    counts = {lang: sum(w.endswith(f"_{lang}") for w in result.text.split()) for lang in lexicons}
    assert result.switched == 5_000 and sum(counts.values()) == 5_000
    assert all(abs(n / 5_000 - 0.2) < 0.03 for n in counts.values()), counts  # uniform over the languages
    short = ml_cs(" ".join(VOCABULARY[:10]), lexicons, 1.0, rng=np.random.default_rng(0)).text
    assert len({w.rsplit("_", 1)[1] for w in short.split()}) > 1


def test_wiki_cs_token_matching_replaces_longest_titles_first_lowercased_and_skips_stopwords():
    titles = Lexicon("en", "de", {
        "new york": ("new york stadt",), "york": ("yorkshire",), "the": ("der",), "the beatles": ("die beatles",),
        "city": ("stadt",), "new york city marathon": ("never: over three words",),
    }, "fixture")
    result = wiki_cs("The Beatles played New York City, then York; new, york. The end", titles, matching="tokens")
    assert result.text == "die beatles played new york stadt stadt, then yorkshire; new, yorkshire. the end"
    assert result.switched == 2 + 2 + 1 + 1 + 1  # words inside replaced titles
    assert wiki_cs("The Beatles", None, matching="tokens").text == "The Beatles"  # English: the original text


def test_title_cleaning_and_the_title_file_reader(tmp_path):
    assert clean_title("Category:Mercury (planet)") == "mercury"
    assert clean_title("  New   York City ") == "new york city"
    path = tmp_path / "en-de.titles.tsv"
    path.write_text("Mercury (planet)\tMerkur (Planet)\nCategory:Germany\tKategorie:Deutschland\n\n", encoding="utf-8")
    titles = read_titles(path)
    assert (titles.source, titles.target) == ("en", "de")
    assert dict(titles.entries) == {"mercury": ("merkur",), "germany": ("deutschland",)}
    path.write_text("only one field\n", encoding="utf-8")
    with pytest.raises(HarnessError, match=r"en-de.titles.tsv:1: expected 'english title<TAB>de title', found 1"):
        read_titles(path)


def test_muse_reader_fixture(tmp_path):
    path = tmp_path / "en-de.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("the\tdie\nthe\tder\nThe\tdie\nhouse haus\n")
    lexicon = read_muse(path)
    assert (lexicon.source, lexicon.target, len(lexicon)) == ("en", "de", 2)
    assert lexicon.entries["the"] == ("die", "der") and lexicon.translate("HOUSE") == "haus"
    path.write_bytes(gzip.compress(b"the die der\n"))
    with pytest.raises(HarnessError, match=r"en-de.txt.gz:1: expected 'source<TAB>target', found 3"):
        read_muse(path)
    with pytest.raises(HarnessError, match="cannot tell the languages"):
        read_muse(tmp_path / "lexicon.txt")


def test_coverage_counts_tokens_and_types():
    lexicon = Lexicon("en", "de", {"house": ("haus",), "red": ("rot",)}, "fixture")
    result = coverage(lexicon, ["The house is red.", "A red house, a RED car"])
    assert (result.tokens, result.covered_tokens, result.types, result.covered_types) == (10, 5, 6, 2)
    assert result.token_share == 0.5


@pytest.mark.realdata
def test_the_real_muse_en_de_dictionary(real_data_dir):
    lexicon = read_muse(real_data_dir / "muse" / "en-de.txt.gz")
    assert (lexicon.source, lexicon.target) == ("en", "de")
    assert len(lexicon) == 74_655  # distinct source words of its 101,931 lines
    assert lexicon.entries["the"][:2] == ("die", "der")
    assert lexicon.translate("House") == "haus"
    switched = bl_cs("Where is the house of the baker?", lexicon, 1.0, rng=np.random.default_rng(0))
    assert switched.text == "wo is die haus of die baker?"


def write_training(path):
    path.write_text("Where is the house?\tThe house is red.\tA green tree.\nWho wrote the book?\tThe book was written.\n", encoding="utf-8")
    return path


def test_bl_cs_switches_queries_to_x_and_documents_to_y(tmp_path):
    source = write_training(tmp_path / "train.tsv")
    lexicons = {"de": tagged("de", ["house", "book", "the"]), "it": tagged("it", ["house", "book", "the", "red"])}
    report = switch_file(source, tmp_path / "de-it.tsv", "bl-cs", lexicons, p=1.0, query_lang="de", doc_lang="it")
    lines = (tmp_path / "de-it.tsv").read_text().splitlines()
    assert lines[0] == "Where is the_de house_de?\tthe_it house_it is red_it.\tA green tree."
    assert (report.query_switched, report.document_switched) == (4, 5)
    switch_file(source, tmp_path / "en-de.tsv", "bl-cs", lexicons, p=1.0, query_lang="en", doc_lang="de")
    queries = [line.split("\t")[0] for line in (tmp_path / "en-de.tsv").read_text().splitlines()]
    assert queries == ["Where is the house?", "Who wrote the book?"]  # X = en: queries unchanged
    with pytest.raises(HarnessError, match="say --query-lang and --doc-lang"):
        switch_file(source, tmp_path / "x.tsv", "bl-cs", lexicons)


def test_wiki_cs_draws_both_languages_per_instance_from_english_and_the_titles(tmp_path):
    source = tmp_path / "train.tsv"
    source.write_text("house\thouse\n" * 3000, encoding="utf-8")
    titles = {"de": Lexicon("en", "de", {"house": ("haus",)}, "f"), "it": Lexicon("en", "it", {"house": ("casa",)}, "f")}
    switch_file(source, tmp_path / "out.tsv", "wiki-cs", titles, seed=0)
    pairs = [tuple(line.split("\t")) for line in (tmp_path / "out.tsv").read_text().splitlines()]
    for side in (0, 1):
        shares = {word: sum(p[side] == word for p in pairs) / len(pairs) for word in ("house", "haus", "casa")}
        assert all(abs(share - 1 / 3) < 0.04 for share in shares.values()), shares
    assert len(set(pairs)) == 9  # query and document languages drawn independently


def test_the_cli_writes_a_switched_copy_and_reports_bad_lines_in_one_line(tmp_path, capsys):
    source = write_training(tmp_path / "train.tsv")
    lexicon = tmp_path / "en-de.txt"
    lexicon.write_text("house\thaus\nthe\tdie\n", encoding="utf-8")
    args = ["codeswitch", "--method", "bl-cs", "--lexicon", str(lexicon), "--p", "1", str(source), str(tmp_path / "out.tsv")]
    assert main([*args, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["query_switched"] == 3 and report["document_switched"] == 3 and report["seed"] == 0
    assert (tmp_path / "out.tsv").read_text().startswith("Where is die haus?\tdie haus is red.")
    (tmp_path / "bad.tsv").write_text("a query without documents\n", encoding="utf-8")
    args[-2:] = [str(tmp_path / "bad.tsv"), str(tmp_path / "bad-out.tsv")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("bad.tsv:1: expected 'query<TAB>positive[<TAB>negative...]', found 1 field(s)") and "\n" not in err
    assert not (tmp_path / "bad-out.tsv").exists()


@pytest.mark.parametrize(
    "method, option",
    [("ml-cs", {"query_lang": "de"}), ("wiki-cs", {"doc_lang": "de"}), ("wiki-cs", {"p": 0.5}), ("wiki-cs", {"policy": "first"})],
)
def test_the_api_refuses_an_option_its_method_does_not_use(tmp_path, method, option):
    from harness import api

    source = write_training(tmp_path / "train.tsv")
    lexicon = tmp_path / ("en-de.titles.tsv" if method == "wiki-cs" else "en-de.txt")
    lexicon.write_text("house\thaus\n", encoding="utf-8")
    with pytest.raises(HarnessError, match="appl"):
        api.codeswitch(source, tmp_path / "out.tsv", method=method, lexicons=[lexicon], **option)
    assert not (tmp_path / "out.tsv").exists()

"""Training data sources: SQuAD dev minus XQuAD (with translations), MS MARCO triples, the registry.

Structure is checked on tiny SQuAD files written here and on a tiny ir_datasets cache (loaded in
a fresh process by tests/fixtures/training/msmarco_probe.py, since ir_datasets fixes its home at
import); the numbers on the real files in the shared data directory (``realdata``).
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harness.errors import HarnessError, InputFormatError
from harness.training.data import available_pairs, get_source, load_training_set, require_pair
from harness.training.data import squad as squad_module
from harness.training.data.sentences import split
from harness.training.data.squad import squad_pairs, squad_question_ids

PROBE = Path(__file__).parent / "fixtures" / "training" / "msmarco_probe.py"


# --- tiny SQuAD files ----------------------------------------------------------------------------


def qa(qid: str, question: str, context: str, answer: str | None, start: int | None = None) -> dict:
    """A SQuAD question; the answer start is found in ``context`` unless given (-1: unaligned)."""
    if answer is None:
        return {"id": qid, "question": question, "answers": [], "is_impossible": True}
    return {"id": qid, "question": question, "answers": [{"text": answer, "answer_start": context.index(answer) if start is None else start}]}


def paragraph(context: str, *questions: tuple) -> dict:
    return {"context": context, "qas": [qa(q[0], q[1], context, *q[2:]) for q in questions]}


def write_squad(path: Path, articles: dict[str, list[dict]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"data": [{"title": title, "paragraphs": paragraphs} for title, paragraphs in articles.items()]}
    with gzip.open(path, "wt", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)


def lareqa_paragraph(context: str, qid: str, question: str, answer: str) -> dict:
    sentences = [s if s.endswith(".") else s + "." for s in context.split(". ")]
    starts = [context.index(s) for s in sentences]
    return {
        "context": context,
        "sentences": sentences,
        "sentence_breaks": [[b, b + len(s)] for b, s in zip(starts, sentences)],
        "qas": [{"id": qid, "question": question, "answers": [{"text": answer, "answer_start": context.index(answer)}]}],
    }


ALPHA = "Alpha one is first. Alpha two is second. Alpha three is third."
DELTA = "Delta is one sentence only."


def build_squad(data_dir: Path) -> None:
    """Five English paragraphs: two kept (a1, a2 | b1), three XQuAD's: by context and id (x1), by id
    only (x2, context spaced differently), by context only (b9; XQuAD-R lists it under x3)."""
    squad = data_dir / "squad"
    write_squad(squad / "dev-v1.1.json.gz", {
        "Alpha": [
            paragraph(ALPHA, ("a1", "Which is second?", "two"), ("a2", "Which is third?", "three")),
            paragraph("Xavier is here. Xavier left.", ("x1", "Who is here?", "Xavier")),
        ],
        "Beta": [
            paragraph("Beta is old.  Beta is new.", ("x2", "What is new?", "new")),
            paragraph("Gamma rays. Gamma waves.", ("b9", "What waves?", "Gamma")),
            paragraph(DELTA, ("b1", "What is Delta?", "one sentence")),
        ],
    })
    alfa = "Alfa uno è primo. Alfa due è secondo. Alfa tre è terzo."
    write_squad(squad / "dev-v1.1-it.json.gz", {
        "Alfa": [
            paragraph(alfa, ("a1", "Quale è secondo?", "due"), ("a2", "Quale è terzo?", "tre")),
            paragraph("Xavier è qui.", ("x1", "Chi è qui?", "Xavier")),
            paragraph("Delta.", ("d7", "Che cosa?", "Delta")),
        ],
    })
    alfa_es = "Alfa uno es primero. Alfa dos es segundo. Alfa tres es tercero."
    write_squad(squad / "dev-v1.1-es.json.gz", {
        "Alfa": [
            paragraph(alfa_es, ("a1", "¿Cuál es segundo?", "", -1), ("a2", "¿Cuál es tercero?", "tres")),
            paragraph("Delta es una sola frase.", ("b1", "¿Qué es Delta?", "una sola frase")),
        ],
    })
    alfa_zh = "阿尔法一是第一。阿尔法二是第二。阿尔法三是第三。"
    write_squad(squad / "dev-v2.0-zh.json.gz", {
        "阿尔法": [
            paragraph(alfa_zh, ("a1", "哪个是第二？", "阿尔法二"), ("a2", "哪个是第三？", "阿尔法三"), ("z1", "哪个是第四？", None)),
        ],
    })
    xquad = data_dir / "lareqa" / "xquad-r" / "en.json"
    xquad.parent.mkdir(parents=True)
    xquad.write_text(json.dumps({"data": [{"title": "Alpha", "paragraphs": [
        lareqa_paragraph("Xavier is here. Xavier left.", "x1", "Who is here?", "Xavier"),
        lareqa_paragraph("Beta is old. Beta is new.", "x2", "What is new?", "new"),
        lareqa_paragraph("Gamma rays. Gamma waves.", "x3", "What rays?", "Gamma"),
    ]}]}), encoding="utf-8")


@pytest.fixture
def squad_dir(tmp_path: Path) -> Path:
    build_squad(tmp_path)
    return tmp_path


def test_english_pairs_leave_out_xquad_paragraphs(squad_dir: Path) -> None:
    found = squad_pairs(squad_dir)
    assert found.source == "squad-v1.1-dev-minus-xquad/en-en"
    assert (found.query_langs, found.doc_langs) == (("en",), ("en",))
    assert squad_question_ids(squad_dir) == ("a1", "a2", "b1")
    assert [(e.query, e.positive, e.negatives) for e in found.examples] == [
        ("Which is second?", "Alpha two is second.", ()),
        ("Which is third?", "Alpha three is third.", ()),
        ("What is Delta?", DELTA, ()),
    ]
    assert found.notes["english"] == {
        "paragraphs": 5, "questions": 6, "xquad_paragraphs_removed": 3, "xquad_questions_removed": 3,
        "xquad_ids_not_in_squad": 1, "kept_paragraphs": 2, "kept_questions": 3,
    }
    assert found.notes["paragraphs"] == 2 and found.notes["dropped"] == {}
    assert found.notes["positive_contains_answer_text"] == 3
    assert found.notes["splitter"].startswith("sentencex ")
    assert "XQuAD" in found.notes["caveat"]


def test_cross_language_pair_joins_questions_by_id(squad_dir: Path) -> None:
    it_en = squad_pairs(squad_dir, query_lang="it", doc_lang="en")
    assert squad_question_ids(squad_dir, query_lang="it", doc_lang="en") == ("a1", "a2")
    assert [(e.query, e.positive) for e in it_en.examples] == [
        ("Quale è secondo?", "Alpha two is second."),
        ("Quale è terzo?", "Alpha three is third."),
    ]
    assert it_en.source.endswith("/it-en") and it_en.query_langs == ("it",) and it_en.doc_langs == ("en",)
    assert it_en.notes["dropped"] == {"not_in_it": 1}
    # x1 is an XQuAD question in the translation; d7 has no SQuAD id, so it cannot be checked.
    assert it_en.notes["translated_files"] == {"it": {"questions": 4, "usable": 2, "xquad": 1, "not_in_squad_v1.1_dev": 1}}

    en_es = squad_pairs(squad_dir, query_lang="en", doc_lang="es")
    assert [(e.query, e.positive) for e in en_es.examples] == [
        ("Which is third?", "Alfa tres es tercero."),
        ("What is Delta?", "Delta es una sola frase."),
    ]
    assert en_es.notes["dropped"] == {"answer_not_placeable_in_es": 1}

    zh_zh = squad_pairs(squad_dir, query_lang="zh", doc_lang="zh")
    assert [(e.query, e.positive) for e in zh_zh.examples] == [("哪个是第二？", "阿尔法二是第二。"), ("哪个是第三？", "阿尔法三是第三。")]
    assert zh_zh.notes["translated_files"]["zh"] == {"questions": 3, "usable": 2, "no_answer": 1}
    assert zh_zh.notes["dropped"] == {"not_in_zh": 1}


def test_negatives_are_other_sentences_drawn_per_question(squad_dir: Path) -> None:
    first = squad_pairs(squad_dir, negatives=2, seed=7)
    assert first.examples == squad_pairs(squad_dir, negatives=2, seed=7).examples
    a1, _, b1 = first.examples
    assert sorted(a1.negatives) == ["Alpha one is first.", "Alpha three is third."]
    assert b1.negatives == ()  # a one-sentence paragraph has none to give
    assert first.notes["negatives"] == {
        "per_example": 2, "seed": 7, "from": "other sentences of the positive's paragraph", "examples_with_fewer": 1,
    }
    draws = {squad_pairs(squad_dir, negatives=1, seed=seed).examples[0].negatives for seed in range(20)}
    assert draws == {("Alpha one is first.",), ("Alpha three is third.",)}
    assert first.fingerprint() != squad_pairs(squad_dir).fingerprint()


def test_sentence_of_an_offset() -> None:
    sentences = split("  One. Two.  Three!  ", "en")
    assert sentences.texts == ("One.", "Two.", "Three!")
    # Whitespace before a sentence belongs to it (an answer starting there continues in it).
    assert [sentences.at(i) for i in (-1, 0, 2, 5, 6, 7, 11, 13, 18, 19)] == [None, 0, 0, 0, 1, 1, 2, 2, 2, None]
    assert split("第一句。第二句！", "zh").texts == ("第一句。", "第二句！")


def test_missing_files_and_unknown_languages_are_one_line_errors(tmp_path: Path, squad_dir: Path) -> None:
    with pytest.raises(HarnessError, match=rf"missing {tmp_path}/empty/squad/dev-v1\.1\.json\.gz; put the official SQuAD v1\.1"):
        squad_pairs(tmp_path / "empty")
    (squad_dir / "squad" / "dev-v1.1-es.json.gz").unlink()
    with pytest.raises(HarnessError, match=r"dev-v1\.1-es\.json\.gz; put SQuAD-es"):
        squad_pairs(squad_dir, query_lang="es")
    (squad_dir / "lareqa" / "xquad-r" / "en.json").unlink()
    with pytest.raises(HarnessError, match=r"xquad-r/en\.json: XQuAD-R's en\.json names the paragraphs to leave out"):
        squad_pairs(squad_dir)
    with pytest.raises(HarnessError, match=r"^squad has no training data for de: squad provides en, es, it, zh$"):
        squad_pairs(squad_dir, doc_lang="de")
    with pytest.raises(HarnessError, match="negatives must be 0 or more"):
        squad_pairs(squad_dir, negatives=-1)


def test_malformed_squad_file_names_the_file(squad_dir: Path) -> None:
    path = squad_dir / "squad" / "dev-v1.1.json.gz"
    write_squad(path, {"Alpha": [{"context": ALPHA}]})
    with pytest.raises(InputFormatError, match=rf"^{path}: article 0 paragraph 0: not in SQuAD format \(KeyError: 'qas'\)$"):
        squad_pairs(squad_dir)
    path.write_bytes(b"not gzip")
    with pytest.raises(InputFormatError, match=rf"^{path}: not a gzipped SQuAD JSON file"):
        squad_pairs(squad_dir)


# --- registry -------------------------------------------------------------------------------------


def test_registry_names_sources_and_their_pairs(squad_dir: Path) -> None:
    assert ("zh", "it") in available_pairs("squad") and len(available_pairs("squad")) == 16
    assert ("de", "nl") in available_pairs("msmarco") and len(available_pairs("msmarco")) == 14 * 14
    require_pair("squad", "es", "zh")
    with pytest.raises(HarnessError, match=r"^translate-train has no training data for de: squad provides en, es, it, zh$"):
        require_pair("squad", "en", "de", purpose="translate-train")
    with pytest.raises(HarnessError, match=r"unknown training data source 'squd' \(did you mean 'squad'\?\); known: msmarco, squad"):
        get_source("squd")
    loaded = load_training_set("squad", squad_dir, query_lang="it", doc_lang="en", negatives=1, limit=1)
    assert len(loaded) == 1 and loaded.notes["subset"]["available"] == 2 and len(loaded.examples[0].negatives) == 1
    assert load_training_set("squad", squad_dir).examples == squad_pairs(squad_dir).examples


# --- MS MARCO / mMARCO through ir_datasets --------------------------------------------------------

# qid, positive, negative. mMARCO's triples file holds one triple more than MS MARCO's, which shows
# which file a pair reads (the real files hold the same triples).
REAL_COUNTS = {
    ("en", "en"): (9380, 1827), ("it", "it"): (6117, 1614), ("es", "es"): (4786, 1707), ("zh", "zh"): (3445, 1006),
    ("en", "it"): (6117, 1614), ("it", "en"): (6117, 1614), ("es", "zh"): (2399, 930), ("zh", "es"): (2057, 891),
}


@pytest.mark.realdata
def test_real_english_set(real_data_dir: Path) -> None:
    squad_module._read_cached.cache_clear()
    found = squad_pairs(real_data_dir)
    assert (len(found), found.notes["paragraphs"]) == (9380, 1827)
    assert found.notes["english"] == {
        "paragraphs": 2067, "questions": 10570, "xquad_paragraphs_removed": 240, "xquad_questions_removed": 1190,
        "xquad_ids_not_in_squad": 0, "kept_paragraphs": 1827, "kept_questions": 9380,
    }
    assert found.notes["positive_contains_answer_text"] == 9371  # the rest: answers split across sentences


@pytest.mark.realdata
def test_real_sets_hold_nothing_of_xquad(real_data_dir: Path) -> None:
    xquad = json.loads((real_data_dir / "lareqa" / "xquad-r" / "en.json").read_text(encoding="utf-8"))
    paragraphs = [p for article in xquad["data"] for p in article["paragraphs"]]
    xquad_ids = {q["id"] for p in paragraphs for q in p["qas"]}
    xquad_sentences = {s.strip() for p in paragraphs for s in p["sentences"]}
    xquad_questions = {q["question"] for p in paragraphs for q in p["qas"]}
    for lang in squad_module.LANGUAGES:
        assert not set(squad_question_ids(real_data_dir, query_lang=lang, doc_lang=lang)) & xquad_ids
    english = squad_pairs(real_data_dir)
    assert not {e.positive for e in english.examples} & xquad_sentences
    assert not {e.query for e in english.examples} & xquad_questions


@pytest.mark.realdata
def test_real_translated_sets(real_data_dir: Path) -> None:
    for (x, y), (examples, paragraphs) in REAL_COUNTS.items():
        found = squad_pairs(real_data_dir, query_lang=x, doc_lang=y)
        assert (len(found), found.notes["paragraphs"]) == (examples, paragraphs), (x, y)
        assert found.notes["positive_contains_answer_text"] >= 0.99 * examples, (x, y)
    files = squad_pairs(real_data_dir, query_lang="it", doc_lang="zh").notes["translated_files"]
    assert files["it"] == {"questions": 7609, "usable": 6117, "xquad": 778, "not_in_squad_v1.1_dev": 714}
    assert files["zh"] == {"questions": 9936, "usable": 3445, "no_answer": 5945, "xquad": 546}
    es = squad_pairs(real_data_dir, query_lang="es", doc_lang="es").notes["translated_files"]["es"]
    assert es == {"questions": 6583, "usable": 4786, "xquad": 732, "answer_not_placeable": 1065}


@pytest.mark.realdata
def test_real_cross_language_pair_is_the_join_of_its_sides(real_data_dir: Path) -> None:
    def by_id(x: str, y: str) -> dict:
        ids = squad_question_ids(real_data_dir, query_lang=x, doc_lang=y)
        return dict(zip(ids, squad_pairs(real_data_dir, query_lang=x, doc_lang=y).examples))

    # es-en holds every usable Spanish question (English answers always place), zh-zh every Chinese answer.
    es_zh, es_en, zh_zh = by_id("es", "zh"), by_id("es", "en"), by_id("zh", "zh")
    assert set(es_zh) == set(es_en) & set(zh_zh)
    assert all(e.query == es_en[qid].query and e.positive == zh_zh[qid].positive for qid, e in es_zh.items())


@pytest.mark.realdata
def test_real_negatives_are_deterministic(real_data_dir: Path) -> None:
    first = squad_pairs(real_data_dir, query_lang="it", doc_lang="en", negatives=3, seed=1)
    assert first.examples == squad_pairs(real_data_dir, query_lang="it", doc_lang="en", negatives=3, seed=1).examples
    assert first.examples != squad_pairs(real_data_dir, query_lang="it", doc_lang="en", negatives=3, seed=2).examples
    assert all(e.positive not in e.negatives and len(e.negatives) <= 3 for e in first.examples)
    assert first.notes["negatives"]["examples_with_fewer"] == 1486


@pytest.mark.realdata
def test_real_splitter_agrees_with_xquad_r_sentence_breaks(real_data_dir: Path) -> None:
    """The answer sentence that the splitter gives vs the one XQuAD-R publishes (same paragraphs as SQuAD)."""
    agreement = {}
    for lang in ("en", "es", "zh"):
        data = json.loads((real_data_dir / "lareqa" / "xquad-r" / f"{lang}.json").read_text(encoding="utf-8"))
        same = total = 0
        for article in data["data"]:
            for p in article["paragraphs"]:
                ours = split(p["context"], lang)
                for question in p["qas"]:
                    start = question["answers"][0]["answer_start"]
                    theirs = next(i for i, (b, e) in enumerate(p["sentence_breaks"]) if start < e)
                    index = ours.at(start)
                    same += index is not None and ours.texts[index] == p["sentences"][theirs].strip()
                    total += 1
        agreement[lang] = same / total
    assert agreement["en"] >= 0.965 and agreement["es"] >= 0.935 and agreement["zh"] >= 0.95, agreement

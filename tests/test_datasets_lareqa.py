"""LAReQA reader and pairs (XQuAD-R, MLQA-R) on tiny files written here."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from harness.datasets.lareqa import LareqaDataset, read_language
from harness.datasets.pairs import PairId
from harness.errors import HarnessError, InputFormatError

# Three languages, MLQA-R style: es has only q3 and q4. Answers are (sentence index, word).
TOY = {
    "en": [
        (["Paris is the capital of France.", "It has many museums.", "The Louvre is the largest."],
         [("q1", "Capital of France?", 0, "Paris"), ("q2", "What does Paris have?", 1, "museums")]),
        (["Berlin is in Germany.", "It is big."],
         [("q3", "Where is Berlin?", 0, "Germany"), ("q4", "How big is Berlin?", 1, "big")]),
    ],
    "de": [
        (["Paris ist die Hauptstadt Frankreichs.", "Es hat viele Museen, der Louvre ist das größte."],
         [("q1", "Hauptstadt Frankreichs?", 0, "Paris"), ("q2", "Was hat Paris?", 1, "Museen")]),
        (["Berlin liegt in Deutschland.", "Es ist groß."],
         [("q3", "Wo liegt Berlin?", 0, "Deutschland"), ("q4", "Wie groß ist Berlin?", 1, "groß")]),
    ],
    "es": [
        (["Berlín está en Alemania.", "Es grande."],
         [("q3", "¿Dónde está Berlín?", 0, "Alemania"), ("q4", "¿Qué tan grande es Berlín?", 1, "grande")]),
    ],
}


def paragraph(sentences: list[str], qas: list[tuple], starts: dict[str, list[int]] | None = None) -> dict:
    """A LAReQA paragraph: sentences joined by one space, spans computed, answers located by word
    (or given as raw ``answer_start`` values in ``starts``)."""
    breaks, offset = [], 0
    for sentence in sentences:
        breaks.append([offset, offset + len(sentence)])
        offset += len(sentence) + 1
    context = " ".join(sentences)
    out = []
    for qid, question, index, word in qas:
        begin = breaks[index][0] + sentences[index].index(word)
        positions = (starts or {}).get(qid, [begin])
        out.append({"id": qid, "question": question, "answers": [{"answer_start": p, "text": word} for p in positions]})
    return {"context": context, "qas": out, "sentence_breaks": breaks, "sentences": sentences}


def write_language(folder: Path, lang: str, paragraphs: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lang}.json"
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "toy", "paragraphs": paragraphs}]}), encoding="utf-8")
    return path


def toy_dataset(url_template: str = "http://127.0.0.1:9/{lang}.json", sha256: dict | None = None) -> LareqaDataset:
    return LareqaDataset(
        id="toy-r",
        title="Toy",
        description="toy LAReQA",
        languages=("en", "de", "es"),
        folder="toy-r",
        url_template=url_template,
        sha256=sha256 or dict.fromkeys(("en", "de", "es"), "0" * 64),
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    for lang, paragraphs in TOY.items():
        write_language(tmp_path / "lareqa" / "toy-r", lang, [paragraph(s, q) for s, q in paragraphs])
    return tmp_path


def test_candidates_are_every_sentence_with_language_unique_ids(data_dir: Path) -> None:
    parsed = read_language(data_dir / "lareqa/toy-r/en.json", "en")
    assert [cid for cid, _, _ in parsed.sentences] == ["en-0-0-0", "en-0-0-1", "en-0-0-2", "en-0-1-0", "en-0-1-1"]
    assert parsed.answers == {"q1": "en-0-0-0", "q2": "en-0-0-1", "q3": "en-0-1-0", "q4": "en-0-1-1"}
    assert parsed.issues == {}
    docs = parsed.documents()
    assert docs[1].text == "It has many museums." and docs[1].lang == "en"


def test_moir_ranks_own_language_candidates(data_dir: Path) -> None:
    task = toy_dataset().load(PairId("toy-r", "de", "de"), data_dir)
    assert [q.query_id for q in task.queries] == ["q1", "q2", "q3", "q4"]
    assert {q.lang for q in task.queries} == {"de"}
    assert task.qrels == {"q1": {"de-0-0-0": 1}, "q2": {"de-0-0-1": 1}, "q3": {"de-0-1-0": 1}, "q4": {"de-0-1-1": 1}}
    assert task.documents.collection_id == "toy-r/de"
    assert len(task.documents) == 4
    assert task.measures == ("AP", "R@1", "R@10")
    assert task.candidates is None


def test_clir_evaluates_only_question_ids_in_both_languages(data_dir: Path) -> None:
    task = toy_dataset().load(PairId("toy-r", "en", "es"), data_dir)
    assert [q.query_id for q in task.queries] == ["q3", "q4"]
    assert task.queries[0].text == "Where is Berlin?"
    assert task.qrels == {"q3": {"es-0-0-0": 1}, "q4": {"es-0-0-1": 1}}
    assert {doc.doc_id for doc in task.documents} == {"es-0-0-0", "es-0-0-1"}
    assert task.notes["shared_question_ids"] == 2
    assert task.notes["query_language_questions"] == 4
    reverse = toy_dataset().load(PairId("toy-r", "es", "en"), data_dir)
    assert reverse.qrels == {"q3": {"en-0-1-0": 1}, "q4": {"en-0-1-1": 1}}


def test_mlir_pool_and_relevance_in_every_language_where_the_id_exists(data_dir: Path) -> None:
    task = toy_dataset().load(PairId("toy-r", "de", "xx"), data_dir)
    assert len(task.documents) == 5 + 4 + 2
    assert task.documents.collection_id == "toy-r/xx"
    assert set(task.documents.languages) == {"en", "de", "es"}
    assert task.qrels["q1"] == {"en-0-0-0": 1, "de-0-0-0": 1}
    assert task.qrels["q4"] == {"en-0-1-1": 1, "de-0-1-1": 1, "es-0-0-1": 1}
    assert task.notes["relevant_per_query"] == [2, 3]
    assert task.measures == ("AP", "R@1", "R@10", "RankDistance")
    assert task.documents.get_many(["es-0-0-1", "nope"])["es-0-0-1"].text == "Es grande."


def test_edge_cases_are_resolved_and_counted(tmp_path: Path) -> None:
    sentences = ["One two.", "Three four.", "Five six."]
    qas = [("gap", "?", 1, "Three"), ("outside", "?", 0, "One"), ("multi", "?", 0, "One"), ("last", "?", 2, "six")]
    # 8 is the space between sentence 0 [0, 8) and sentence 1 [9, 20); the last char of sentence 2 is 28.
    starts = {"gap": [8], "outside": [500], "multi": [0, 9], "last": [28]}
    write_language(tmp_path, "en", [paragraph(sentences, qas, starts)])
    parsed = read_language(tmp_path / "en.json", "en")
    assert parsed.answers == {"gap": "en-0-0-1", "multi": "en-0-0-0", "last": "en-0-0-2"}
    assert parsed.issues == {
        "answers_between_sentences": 1,
        "answers_outside_sentences": 1,
        "extra_answers_in_other_sentences": 1,
    }


def test_malformed_files_fail_loudly(tmp_path: Path) -> None:
    twice = paragraph(["A b."], [("q", "?", 0, "A"), ("q", "??", 0, "b")])
    write_language(tmp_path / "dup", "en", [twice])
    with pytest.raises(InputFormatError, match="occurs twice"):
        read_language(tmp_path / "dup/en.json", "en")
    uneven = paragraph(["A b.", "C d."], [])
    uneven["sentence_breaks"].pop()
    write_language(tmp_path / "uneven", "en", [uneven])
    with pytest.raises(InputFormatError, match="equal length"):
        read_language(tmp_path / "uneven/en.json", "en")


def test_missing_file_names_path_and_source(tmp_path: Path) -> None:
    with pytest.raises(HarnessError) as error:
        toy_dataset().load(PairId("toy-r", "en", "en"), tmp_path)
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path / "lareqa/toy-r/en.json") in message and "download=True" in message


def test_offline_download_fails_in_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"could not download http://127\.0\.0\.1:9/en\.json") as error:
        toy_dataset().load(PairId("toy-r", "en", "en"), tmp_path, download=True)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "lareqa/toy-r").exists() or not any((tmp_path / "lareqa/toy-r").iterdir())


def test_download_is_verified_by_sha256(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    mirror = data_dir / "lareqa" / "toy-r"
    sums = {lang: hashlib.sha256((mirror / f"{lang}.json").read_bytes()).hexdigest() for lang in TOY}
    target = tmp_path_factory.mktemp("fresh")
    dataset = toy_dataset(url_template=mirror.as_uri() + "/{lang}.json", sha256=sums)
    task = dataset.load(PairId("toy-r", "es", "es"), target, download=True)
    assert len(task.queries) == 2
    assert (target / "lareqa/toy-r/es.json").read_bytes() == (mirror / "es.json").read_bytes()

    wrong = toy_dataset(url_template=mirror.as_uri() + "/{lang}.json", sha256=dict(sums, de="0" * 64))
    with pytest.raises(HarnessError, match="sha256"):
        wrong.load(PairId("toy-r", "de", "de"), target, download=True)
    assert not (target / "lareqa/toy-r/de.json").exists()

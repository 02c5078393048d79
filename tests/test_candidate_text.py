"""LAReQA candidates as the sentence alone or with its paragraph (XTREME's zero-shot input), chosen
from the CLI and the API as a dataset option and recorded with every pair."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import api
from harness.cli import main
from harness.datasets import get_dataset
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from tests.fixtures.cli.tree import toy_registrations
from tests.test_datasets_lareqa import paragraph, write_language

SENTENCES = {"en": ["Paris is the capital of France.", "It has\nmany museums."], "de": ["Paris ist die Hauptstadt.", "Es hat\nviele Museen."]}
QUESTIONS = {"en": [("q1", "Capital of France?", 0, "Paris"), ("q2", "What does Paris have?", 1, "many")],
             "de": [("q1", "Hauptstadt?", 0, "Paris"), ("q2", "Was hat Paris?", 1, "viele")]}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    for lang in SENTENCES:
        write_language(tmp_path / "data" / "lareqa" / "toy-r", lang, [paragraph(SENTENCES[lang], QUESTIONS[lang])])
    return tmp_path / "data"


@pytest.fixture(autouse=True)
def toys():
    with toy_registrations():
        yield


def test_sentence_with_context_is_xtremes_text(data_dir: Path) -> None:
    task = get_dataset("toy-r").task(PairId("toy-r", "de", "en"), data_dir, options={"candidate_text": "sentence+context"})
    context = "Paris is the capital of France. It has\nmany museums."
    # XTREME: (sentence + context).replace("\n", ""): no separator, newlines dropped
    assert [d.text for d in task.documents] == [
        "Paris is the capital of France.Paris is the capital of France. It hasmany museums.",
        ("It has\nmany museums." + context).replace("\n", ""),
    ]
    assert task.documents.collection_id == "toy-r/en+context"
    assert task.notes["candidate_text"] == "sentence+context" and task.notes["dataset_options"] == {"candidate_text": "sentence+context"}
    plain = get_dataset("toy-r").task(PairId("toy-r", "de", "en"), data_dir)
    assert [d.text for d in plain.documents] == SENTENCES["en"] and plain.notes["dataset_options"] == {"candidate_text": "sentence"}
    assert plain.qrels == task.qrels  # relevance (and so RankDistance's pool) does not depend on the text


def test_the_option_is_checked_and_listed(data_dir: Path) -> None:
    with pytest.raises(HarnessError, match=r"candidate_text='paragraph' of toy-r: expected one of sentence, sentence\+context"):
        get_dataset("toy-r").task(PairId("toy-r", "de", "en"), data_dir, options={"candidate_text": "paragraph"})
    with pytest.raises(HarnessError, match=r"candidate_text='both' of toy-r: expected one of"):
        get_dataset("toy-r").load(PairId("toy-r", "de", "en"), data_dir, candidate_text="both")
    listed = {d["id"]: d["options"] for d in api.list_datasets(data_dir)}
    assert [o["name"] for o in listed["xquad-r"]] == ["candidate_text"] and listed["miracl"] == []


def test_api_evaluate_records_the_option_and_keeps_one_choice_per_submission(data_dir: Path, tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    context = api.evaluate("toy-overlap", "toy-r/de-en", dataset_options={"candidate_text": "sentence+context"}, data_dir=data_dir,
                           submissions_dir=subs, progress=False)
    plain = api.evaluate("toy-overlap", "toy-r/de-en", data_dir=data_dir, submissions_dir=subs, progress=False)
    assert context.submission.name == "toy-overlap-candidate_textsentence+context" and plain.submission.name == "toy-overlap"
    stored = json.loads((subs / context.submission.name / "meta.json").read_text())["pairs"]["toy-r/de-en"]["notes"]
    assert stored["dataset_options"] == {"candidate_text": "sentence+context"} and stored["candidate_text"] == "sentence+context"
    # the paragraph gives the toy model more words to match: another ranking, not the stored pair resumed
    assert context.records[0].measures != plain.records[0].measures
    with pytest.raises(HarnessError, match=r"toy-r/de-en was built with dataset option candidate_text=sentence, not sentence\+context"):
        api.evaluate("toy-overlap", "toy-r", pairs="en-de", name="toy-overlap", dataset_options={"candidate_text": "sentence+context"},
                     data_dir=data_dir, submissions_dir=subs, progress=False)
    with pytest.raises(HarnessError, match="dataset option 'language_draw' does not apply to toy-r"):
        api.evaluate("toy-overlap", "toy-r/de-en", dataset_options={"language_draw": "hash"}, data_dir=data_dir, submissions_dir=subs)


def test_cli_takes_the_option_for_a_model_and_refuses_it_for_a_run(data_dir: Path, tmp_path: Path, capsys) -> None:
    subs = tmp_path / "subs"
    base = ["eval", "--model", "toy-overlap", "--dataset", "toy-r/en-de", "--data-dir", str(data_dir), "--submissions", str(subs), "--quiet"]
    assert main([*base, "--dataset-option", "candidate_text=sentence+context", "--name", "ctx", "--format", "json"]) == 0
    meta = json.loads((subs / "ctx" / "meta.json").read_text())
    assert meta["pairs"]["toy-r/en-de"]["notes"]["dataset_options"] == {"candidate_text": "sentence+context"}
    capsys.readouterr()
    assert main([*base, "--dataset-option", "candidate_text"]) == 2
    assert "--dataset-option 'candidate_text': expected KEY=VALUE, e.g. candidate_text=sentence+context" in capsys.readouterr().err
    run = tmp_path / "run.trec"
    run.write_text("q1 Q0 de-0-0-0 1 1.0 r\n", encoding="utf-8")
    assert main(["eval", "--run", str(run), "--dataset", "toy-r/en-de", "--data-dir", str(data_dir), "--dataset-option", "candidate_text=sentence"]) == 2
    assert "--dataset-option does not apply to eval --run with --dataset: it changes the texts a --model ranks" in capsys.readouterr().err

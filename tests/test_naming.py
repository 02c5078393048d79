"""The names and commands the harness records for what a user did not name."""
from __future__ import annotations

import shlex

from harness.naming import api_command, default_name


def test_an_api_call_is_recorded_as_the_cli_command_that_repeats_it():
    command = api_command("dense", "xquad-r", ["de-en", "en-de"], None, {"backbone": "intfloat/multilingual-e5-small", "query_prefix": "query: "},
                          {"candidate_text": "sentence+context"})
    assert shlex.split(command) == [
        "harness", "eval", "--model", "dense", "--dataset", "xquad-r", "--pairs", "de-en,en-de",
        "--param", "backbone=intfloat/multilingual-e5-small", "--param", "query_prefix=query: ", "--dataset-option", "candidate_text=sentence+context",
    ]
    assert api_command("bm25", "xquad-r", None, "moir") == "harness eval --model bm25 --dataset xquad-r --setting moir"


def test_default_names_are_path_safe_and_bounded():
    assert default_name("dense", {"backbone": "intfloat/multilingual-e5-small/", "max_length": 128}) == "dense-backbonemultilingual_e5_small-max_length128"
    assert len(default_name("dense", {"query_prefix": "x" * 300})) == 128

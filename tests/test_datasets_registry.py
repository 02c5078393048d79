"""The dataset registry: ids, pair resolution, validation messages, listings."""
from __future__ import annotations

import pytest

from harness.datasets import all_datasets, get_dataset, resolve_pairs
from harness.datasets.pairs import PairId
from harness.errors import HarnessError


def test_registered_datasets_and_listing_metadata() -> None:
    assert [ds.id for ds in all_datasets()] == ["xquad-r", "mlqa-r", "mmarco", "miracl"]
    for ds in all_datasets():
        assert ds.title and ds.description and ds.languages
        for setting in ds.settings:
            assert ds.default_measures(setting)
        assert isinstance(ds.expected_location("/data"), str)
    assert get_dataset("xquad-r").sizes["pool"] == 13014
    assert get_dataset("mmarco").sizes["queries"] == 6980
    assert get_dataset("miracl").sizes["queries"]["yo"] == 119


@pytest.mark.parametrize(
    ("dataset", "setting", "measures"),
    [
        ("xquad-r", "moir", ("AP", "R@1", "R@10")),
        ("mlqa-r", "mlir", ("AP", "R@1", "R@10", "RankDistance")),
        ("mmarco", "clir", ("RR@10",)),
        ("miracl", "moir", ("nDCG@10", "R@100")),
    ],
)
def test_default_measures(dataset: str, setting: str, measures: tuple[str, ...]) -> None:
    assert get_dataset(dataset).default_measures(setting) == measures


def test_standard_pairs() -> None:
    xquad = resolve_pairs("xquad-r")
    assert len(xquad) == 11 + 110 + 11
    assert PairId("xquad-r", "th", "xx") in xquad
    assert len(resolve_pairs("mlqa-r")) == 7 + 42 + 7
    mmarco = [p.langs for p in resolve_pairs("mmarco")]
    assert len(mmarco) == 32 and mmarco[:6] == ["en-en", "de-de", "it-it", "nl-nl", "ru-ru", "ar-ar"]
    assert {"xx-en", "en-xx", "xx-xx", "pt-zh", "id-id"} <= set(mmarco)
    assert [p.langs for p in resolve_pairs("miracl")][-2:] == ["de-de", "yo-yo"]


def test_resolve_pairs_forms() -> None:
    assert resolve_pairs("xquad-r/de-en") == [PairId("xquad-r", "de", "en")]
    assert resolve_pairs("XQuAD-R", "de-en, en-de,de-en") == [PairId("xquad-r", "de", "en"), PairId("xquad-r", "en", "de")]
    assert {p.setting for p in resolve_pairs("mlqa-r", setting="mlir")} == {"mlir"}
    assert len(resolve_pairs("mlqa-r", setting="CLIR")) == 42
    assert resolve_pairs("mmarco", "xx-en,de-de", setting="mlir") == [PairId("mmarco", "xx", "en")]


@pytest.mark.parametrize(
    ("spec", "pairs", "setting", "expected"),
    [
        ("xquad", None, None, r"unknown dataset 'xquad'.*did you mean 'xquad-r'"),
        ("xquad-r/dd-en", None, None, r"unknown query language 'dd'.*did you mean 'de'"),
        ("xquad-r", "de-enn", None, r"unknown document language 'enn'.*did you mean 'en'"),
        ("xquad-r/xx-de", None, None, r"not a pair of xquad-r.*X-xx"),
        ("miracl/de-en", None, None, r"not a pair of miracl.*moir pairs \(X-X\)"),
        ("mlqa-r", None, "mlri", r"unknown setting 'mlri'.*did you mean 'mlir'"),
        ("miracl", None, "clir", r"miracl has no clir pairs"),
        ("xquad-r", "de-en", "moir", r"none of xquad-r/de-en is a moir pair"),
        ("xquad-r/de-en", "en-de", None, r"already names one pair"),
        ("xquad-r", "deen", None, r"bad pair id"),
    ],
)
def test_resolve_pairs_errors_are_one_line(spec: str, pairs: str | None, setting: str | None, expected: str) -> None:
    with pytest.raises(HarnessError, match=expected) as error:
        resolve_pairs(spec, pairs, setting)
    assert "\n" not in str(error.value)

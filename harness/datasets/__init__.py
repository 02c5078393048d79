"""Datasets: the registry of benchmarks, their pairs and their lazy loaders.

A dataset is one declarative module plus one registration line below.
"""
from harness.datasets import miracl, mlqa_r, mmarco, xquad_r
from harness.datasets.base import Dataset
from harness.datasets.pairs import PairId
from harness.datasets.records import Document, DocumentCollection, PairTask, Qrels, Query
from harness.datasets.registry import all_datasets, get_dataset, register, resolve_pairs

register(xquad_r.DATASET)
register(mlqa_r.DATASET)
register(mmarco.DATASET)
register(miracl.DATASET)

__all__ = [
    "Dataset",
    "Document",
    "DocumentCollection",
    "PairId",
    "PairTask",
    "Qrels",
    "Query",
    "all_datasets",
    "get_dataset",
    "register",
    "resolve_pairs",
]

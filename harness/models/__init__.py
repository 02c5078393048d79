"""Model adapters: the registry of rankers, one module per method plus one registration line below.

Importing this package is instant: adapters import pyserini, the JVM or torch only when they rank.
"""
from harness.models import bm25
from harness.models.registry import ModelSpec, Param, Ranker, all_models, get_model, get_spec, register

register(bm25.MODEL)

__all__ = ["ModelSpec", "Param", "Ranker", "all_models", "get_model", "get_spec", "register"]

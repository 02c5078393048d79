"""Model adapters: the registry of rankers, one module per method plus one registration line below.

Importing this package is instant: adapters import pyserini, the JVM or torch only when they rank.
"""
from harness.models import bl_cs, bm25, dense, hybrid_batch, ml_cs, optical, translate_test, translate_train, wiki_cs, zero_shot
from harness.models.registry import ModelSpec, Param, Ranker, all_models, get_model, get_spec, register

register(bm25.MODEL)
register(dense.MODEL)
register(zero_shot.MODEL)
register(bl_cs.MODEL)
register(ml_cs.MODEL)
register(wiki_cs.MODEL)
register(translate_train.MODEL)
register(translate_test.MODEL)
register(hybrid_batch.MODEL)
register(optical.MODEL)

__all__ = ["ModelSpec", "Param", "Ranker", "all_models", "get_model", "get_spec", "register"]

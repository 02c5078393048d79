"""What the harness adds to an ir_datasets collection: the measures its papers report, and the
languages ir_datasets leaves unstated.

ir_datasets states a collection's languages through ``queries_lang()`` and ``docs_lang()``, but
returns None where a component does not say: NeuCLIR's and HC4's topics (ir_datasets'
``ExctractedCCQueries``) carry the English original plus translations, and their
``default_text()``, the text a query is ranked with, is the English title. A profile supplies
such a language; a language ir_datasets does state always wins over it, and a pair the user
names (``irds:ID/Q-D``) supplies what neither says.

Measures: NeuCLIR's primary measure is nDCG@20, with R@1000 for first-stage recall (TREC
NeuCLIR 2022 and 2023 overviews); Anserini's regressions of the HC4 topics report the same two
(with MAP and J@20). Ids of the
collections the harness also registers itself keep its measures there (MIRACL: nDCG@10 and
R@100; MS MARCO passage and mMARCO: RR@10). Any other id gets AP, nDCG@10 and R@100: the
usual summary of a TREC-style ad hoc run.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """The measures of ids starting with ``prefix``, and the languages ir_datasets leaves unstated there."""

    prefix: str
    measures: tuple[str, ...]
    source: str
    query_lang: str | None = None
    doc_lang: str | None = None


_NEUCLIR = "TREC NeuCLIR 2022/2023 overviews (Lawrie et al.): nDCG@20 primary, R@1000"
_PROFILES = (
    # Longest prefix first: the multilingual NeuCLIR collection is one pool of fa, ru and zh documents.
    Profile("neuclir/1/multi/", ("nDCG@20", "R@1000"), _NEUCLIR, query_lang="en", doc_lang="xx"),
    Profile("neuclir/", ("nDCG@20", "R@1000"), _NEUCLIR, query_lang="en"),
    Profile("hc4/", ("nDCG@20", "R@1000"), "HC4 (Lawrie et al. 2022), as Anserini's regressions of its topics: nDCG@20, R@1000", query_lang="en"),
    Profile("miracl/", ("nDCG@10", "R@100"), "MIRACL (Zhang et al. 2022), as the harness's miracl dataset"),
    Profile("mmarco/", ("RR@10",), "mMARCO (Bonifacio et al. 2021), as the harness's mmarco dataset"),
    Profile("msmarco-passage/", ("RR@10",), "MS MARCO passage ranking's official MRR@10"),
)
DEFAULT = Profile("", ("AP", "nDCG@10", "R@100"), "the harness's default for a TREC-style ad hoc collection")


def profile_for(ir_id: str) -> Profile:
    """The profile of the ir_datasets id ``ir_id`` (:data:`DEFAULT` where none applies)."""
    return next((profile for profile in _PROFILES if f"{ir_id}/".startswith(profile.prefix)), DEFAULT)

"""The language of each passage and query on mMARCO's multilingual (``xx``) side.

Both draws pick among the seen languages en de it nl ru ar, in that order:

- ``official`` (the default): the code-switching paper's own draw, so that a run pairs with the
  published ones query by query. ``mainlp/CodeSwitchCLIR@729dff8:src/eval_data/create_multilingual.py``
  calls ``random.seed(0)``, then ``languages[random.randint(0, 5)]`` for every passage id
  0..8,841,822 in order, then, from the same generator, for every dev/small query in the order of
  the English dev/small query file (then for the train queries, which no pair uses). The harness
  takes that order from ``msmarco-passage/dev/small``, MS MARCO's ``queries.dev.small.tsv``, which
  mMARCO's English file copies.
- ``hash``: the harness's earlier draw, blake2b of ``seed/kind/id`` mod 6: independent of order and
  of the corpus (it works on any subset of ids) but not the paper's.

``random.randint(0, 5)`` takes the top 3 bits of one 32-bit Mersenne Twister output and draws again
while they make 6 or 7. numpy's MT19937 given Python's state yields the same outputs, so the 8.8M
draws are a few vectorised operations (about half a second, once per process) rather than a
4-second loop of ``randint`` calls; tests/test_mmarco_draw.py checks the two agree.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from harness.errors import HarnessError

if TYPE_CHECKING:
    import numpy as np

SEEN = ("en", "de", "it", "nl", "ru", "ar")
"""The paper's seen languages in its ``languages`` list order (the order the draw indexes)."""
SEED = 0
PASSAGES = 8_841_823
"""MS MARCO's passage count: the official draw gives the queries the values after these."""
DEV_SMALL_QUERIES = 6_980
METHODS = ("official", "hash")
DESCRIPTIONS = {
    "official": (
        "random.seed(0); languages[random.randint(0, 5)] over en de it nl ru ar for passage ids 0..8,841,822 in order, "
        "then for the dev/small queries in file order (mainlp/CodeSwitchCLIR@729dff8:src/eval_data/create_multilingual.py)"
    ),
    "hash": (
        "language = SEEN[int(blake2b(f'{seed}/{kind}/{id}', 8 bytes)) mod 6], kind 'passage' or 'query': "
        "uniform, deterministic, independent of iteration order (the harness's own draw, not the paper's)"
    ),
}

_official: np.ndarray | None = None


def python_randbelow(seed: int, n: int, count: int) -> np.ndarray:
    """``[random.randrange(n) for _ in range(count)]`` after ``random.seed(seed)``, as uint8 (``n`` <= 256)."""
    import numpy as np

    state = random.Random(seed).getstate()[1]
    generator = np.random.MT19937()
    generator.state = {"bit_generator": "MT19937", "state": {"key": np.array(state[:624], dtype=np.uint32), "pos": state[624]}}
    shift = 32 - n.bit_length()  # getrandbits(k) keeps the top k bits of one 32-bit output
    parts, have = [], 0
    while have < count:
        bits = generator.random_raw((count - have) * 3 // 2 + 1024) >> shift
        kept = bits[bits < n]  # randrange draws again while the bits make n or more
        parts.append(kept)
        have += len(kept)
    return np.concatenate(parts)[:count].astype(np.uint8) if parts else np.empty(0, dtype=np.uint8)


def official_draws(count: int) -> np.ndarray:
    """The first ``count`` language indices of the official draw (passages, then queries), cached."""
    global _official
    if _official is None or len(_official) < count:
        _official = python_randbelow(SEED, len(SEEN), max(count, PASSAGES + DEV_SMALL_QUERIES))
    return _official[:count]


def drawn_language(kind: str, item_id: str, seed: int = SEED, languages: Sequence[str] = SEEN) -> str:
    """The ``hash`` draw's language of a passage (``kind='passage'``) or query (``kind='query'``)."""
    digest = hashlib.blake2b(f"{seed}/{kind}/{item_id}".encode(), digest_size=8).digest()
    return languages[int.from_bytes(digest, "big") % len(languages)]


def passage_language(method: str, doc_id: str) -> str:
    """The language passage ``doc_id`` takes on the ``xx`` side under ``method``."""
    if method == "hash":
        return drawn_language("passage", doc_id)
    position = int(doc_id) if doc_id.isdigit() else -1
    if not 0 <= position < PASSAGES:
        raise HarnessError(f"mMARCO passage id {doc_id!r}: the official draw covers ids 0..{PASSAGES - 1}")
    return SEEN[official_draws(PASSAGES)[position]]


def query_languages(method: str, query_ids: Sequence[str]) -> dict[str, str]:
    """The language of each dev/small query on the ``xx`` side; ``query_ids`` in file order."""
    if method == "hash":
        return {qid: drawn_language("query", qid) for qid in query_ids}
    drawn = official_draws(PASSAGES + len(query_ids))[PASSAGES:].tolist()
    return {qid: SEEN[index] for qid, index in zip(query_ids, drawn)}


def describe(method: str) -> dict[str, object]:
    """What a pair's notes say of the draw."""
    return {"method": method, "seed": SEED, "languages": list(SEEN), "how": DESCRIPTIONS[method]}

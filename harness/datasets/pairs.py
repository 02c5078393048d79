"""Pair ids: ``DATASET/Q-D`` with Q the query language and D the document language (``xx``: a pool)."""
from __future__ import annotations

from dataclasses import dataclass

from harness.errors import HarnessError

MULTILINGUAL = "xx"
SETTINGS = ("moir", "clir", "mlir")


@dataclass(frozen=True, slots=True, order=True)
class PairId:
    dataset: str
    query_lang: str
    doc_lang: str

    @property
    def setting(self) -> str:
        """moir (X->X), clir (X->Y, X != Y) or mlir (either side is the multilingual ``xx``)."""
        if MULTILINGUAL in (self.query_lang, self.doc_lang):
            return "mlir"
        return "moir" if self.query_lang == self.doc_lang else "clir"

    @property
    def langs(self) -> str:
        """``Q-D``, the pair without its dataset."""
        return f"{self.query_lang}-{self.doc_lang}"

    def __str__(self) -> str:
        return f"{self.dataset}/{self.langs}"

    @classmethod
    def parse(cls, text: str, dataset: str | None = None) -> PairId:
        """Parse ``DATASET/Q-D``, or ``Q-D`` when ``dataset`` is given."""
        if "/" in text:
            dataset, _, langs = text.rpartition("/")
        else:
            langs = text
        parts = langs.split("-")
        if not dataset or len(parts) != 2 or not all(parts):
            raise HarnessError(f"bad pair id {text!r}: expected DATASET/Q-D, e.g. xquad-r/de-en or xquad-r/ar-xx")
        return cls(dataset, parts[0].lower(), parts[1].lower())

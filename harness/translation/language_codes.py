"""Language codes that multilingual translation checkpoints expect, from the harness's ISO 639-1 codes.

Marian (opus-mt) checkpoints translate one language pair and take no codes. Many-to-many
checkpoints are told the source language (the tokenizer's ``src_lang``) and the target (the
first generated token): NLLB-200 names languages by FLORES-200 codes (``deu_Latn``), M2M100 by
ISO codes (``de``). ``language_codes`` is ``nllb``, ``iso``, or an explicit ``LANG=CODE`` list.
"""
from __future__ import annotations

from harness.errors import HarnessError

# FLORES-200 codes of every language of the harness's datasets (XQuAD-R, MLQA-R, mMARCO, MIRACL)
NLLB_CODES = {
    "ar": "arb_Arab", "bn": "ben_Beng", "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn", "es": "spa_Latn",
    "fa": "pes_Arab", "fi": "fin_Latn", "fr": "fra_Latn", "hi": "hin_Deva", "id": "ind_Latn", "it": "ita_Latn",
    "ja": "jpn_Jpan", "ko": "kor_Hang", "nl": "nld_Latn", "pt": "por_Latn", "ru": "rus_Cyrl", "sw": "swh_Latn",
    "te": "tel_Telu", "th": "tha_Thai", "tr": "tur_Latn", "vi": "vie_Latn", "yo": "yor_Latn", "zh": "zho_Hans",
}
PRESETS = ("nllb", "iso")


class LanguageCodes:
    """ISO code -> the checkpoint's code; ``None`` scheme: the checkpoint takes none (Marian)."""

    def __init__(self, spec: str | None) -> None:
        self.spec = (spec or "").strip() or None
        self.table: dict[str, str] | None = None
        if self.spec == "nllb":
            self.table = dict(NLLB_CODES)
        elif self.spec is not None and self.spec != "iso":
            self.table = _parse(self.spec)

    @property
    def used(self) -> bool:
        return self.spec is not None

    def code(self, lang: str) -> str | None:
        """The checkpoint's code of ``lang``; ``None`` when it takes no codes."""
        if self.spec is None:
            return None
        if self.table is None:
            return lang
        if lang not in self.table:
            raise HarnessError(f"language_codes={self.spec}: no code for {lang!r}; give it as {lang}=CODE")
        return self.table[lang]

    def describe(self) -> str | dict[str, str] | None:
        return self.spec if self.spec in (None, *PRESETS) else self.table


def _parse(spec: str) -> dict[str, str]:
    table = {}
    for item in spec.split(","):
        lang, sep, code = item.partition("=")
        if not sep or not lang.strip() or not code.strip():
            raise HarnessError(f"language_codes: expected nllb, iso or LANG=CODE[,LANG=CODE...], not {spec!r}")
        table[lang.strip()] = code.strip()
    if "en" not in table:
        raise HarnessError(f"language_codes={spec}: give English's code too (en=CODE), the target of every translation")
    return table

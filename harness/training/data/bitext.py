"""English-foreign sentence pairs (bitext) from the data directory's ``bitext/`` folder, for OPTICAL.

Three sources, four folders (layouts as the shared data's README gives them):

- ``tatoeba``: ``tatoeba-laser/tatoeba.X-eng.{X,eng}`` (LASER's 1,000 pairs per language, plain
  text) and ``tatoeba-v2021/X-eng.{X,eng}.gz`` (Tatoeba test v2021-08-07). The two overlap (35
  de-en pairs, 295 ar-en, 451 of th-en's 548), so they are read as one source and de-duplicated;
- ``flores200``: ``flores200-devtest/LANG_Script.devtest.gz``, line-aligned with ``eng_Latn``;
- ``tico19``: ``tico19/X-eng.{X,eng}.gz``.

The folders name languages by ISO 639-3 codes, and not always the same one: Mandarin is ``cmn``
in Tatoeba-LASER and ``zho`` in Tatoeba v2021, Arabic ``ara`` in Tatoeba and ``arb`` in FLORES.
A language is asked for by the harness's ISO 639-1 code (``de``, ``zh``) and each folder's file
is the first of :data:`CODES`' candidates it holds; an ISO 639-3 code is used as it is.

One pair list per language: the folders in the order above, pairs with an empty side dropped,
and a pair kept once when an earlier one equals it after NFC normalisation and whitespace
collapsing (within a file and across all of them). A pair is a
:class:`~harness.training.examples.TrainingExample` whose ``query`` is the English sentence and
``positive`` the foreign one, so the set carries a content fingerprint, a seeded ``limit`` and
its provenance (counts per file) like every training set.
"""
from __future__ import annotations

import gzip
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from harness.errors import HarnessError, InputFormatError, did_you_mean
from harness.training.examples import TrainingExample, TrainingSet

ENGLISH = "en"
FOLDER = "bitext"
DEDUPLICATION = "pairs equal after NFC normalisation and whitespace collapsing are kept once, the first read"
# ISO 639-1 -> the ISO 639-3 codes the folders may use for it, in the order tried (macrolanguage
# first, then the individual language some sources file it under)
CODES: dict[str, tuple[str, ...]] = {
    "af": ("afr",), "am": ("amh",), "ar": ("ara", "arb"), "az": ("aze",), "be": ("bel",), "bg": ("bul",), "bn": ("ben",),
    "br": ("bre",), "bs": ("bos",), "ca": ("cat",), "cs": ("ces",), "cy": ("cym",), "da": ("dan",), "de": ("deu",),
    "el": ("ell",), "eo": ("epo",), "es": ("spa",), "et": ("est",), "eu": ("eus",), "fa": ("fas", "pes"), "fi": ("fin",),
    "fo": ("fao",), "fr": ("fra",), "fy": ("fry",), "ga": ("gle",), "gd": ("gla",), "gl": ("glg",), "he": ("heb",),
    "hi": ("hin",), "hr": ("hrv",), "hu": ("hun",), "hy": ("hye",), "ia": ("ina",), "id": ("ind",), "ie": ("ile",),
    "io": ("ido",), "is": ("isl",), "it": ("ita",), "ja": ("jpn",), "jv": ("jav",), "ka": ("kat",), "kk": ("kaz",),
    "km": ("khm",), "ko": ("kor",), "ku": ("kur",), "kw": ("cor",), "la": ("lat",), "lt": ("lit",), "lv": ("lav", "lvs"),
    "mk": ("mkd",), "ml": ("mal",), "mn": ("mon",), "mr": ("mar",), "ms": ("msa", "zsm"), "nb": ("nob",), "nl": ("nld",),
    "nn": ("nno",), "oc": ("oci",), "pl": ("pol",), "pt": ("por",), "ro": ("ron",), "ru": ("rus",), "sk": ("slk",),
    "sl": ("slv",), "sq": ("sqi",), "sr": ("srp",), "sv": ("swe",), "sw": ("swa", "swh"), "ta": ("tam",), "te": ("tel",),
    "th": ("tha",), "tk": ("tuk",), "tl": ("tgl",), "tr": ("tur",), "tt": ("tat",), "ug": ("uig",), "uk": ("ukr",),
    "ur": ("urd",), "uz": ("uzb",), "vi": ("vie",), "xh": ("xho",), "yi": ("yid",), "yo": ("yor",), "zh": ("zho", "cmn"),
}

Locate = Callable[[Path, str], "tuple[Path, Path] | None"]
"""(folder, ISO 639-3 code) -> (English file, foreign file), or None where the folder lacks the code."""


def _pair_files(english: str, foreign: str) -> Locate:
    def locate(folder: Path, code: str) -> tuple[Path, Path] | None:
        files = folder / english.format(code=code), folder / foreign.format(code=code)
        return files if all(f.is_file() for f in files) else None

    return locate


def _flores(folder: Path, code: str) -> tuple[Path, Path] | None:
    english, found = folder / "eng_Latn.devtest.gz", sorted(folder.glob(f"{code}_*.devtest.gz"))
    if len(found) > 1:
        raise HarnessError(f"bitext: {folder} holds {code} in several scripts ({', '.join(f.name for f in found)}); keep one")
    return (english, found[0]) if found and english.is_file() else None


SOURCES: dict[str, tuple[tuple[str, Locate], ...]] = {
    "tatoeba": (
        ("tatoeba-laser", _pair_files("tatoeba.{code}-eng.eng", "tatoeba.{code}-eng.{code}")),
        ("tatoeba-v2021", _pair_files("{code}-eng.eng.gz", "{code}-eng.{code}.gz")),
    ),
    "flores200": (("flores200-devtest", _flores),),
    "tico19": (("tico19", _pair_files("{code}-eng.eng.gz", "{code}-eng.{code}.gz")),),
}
DEFAULT_SOURCES = tuple(SOURCES)


def bitext_pairs(
    data_dir: Path, lang: str, *, sources: Sequence[str] = DEFAULT_SOURCES, limit: int | None = None, seed: int = 0
) -> TrainingSet:
    """English-``lang`` pairs of ``sources``, de-duplicated, cut to ``limit`` pairs drawn by
    ``seed`` (all for ``None``). A language no source holds is a one-line error."""
    root = Path(data_dir) / FOLDER
    if not root.is_dir():
        raise HarnessError(f"bitext: missing {root}; put the Tatoeba, FLORES-200 and TICO-19 folders there (see the data README)")
    for source in sources:
        if source not in SOURCES:
            raise HarnessError(f"unknown bitext source {source!r}{did_you_mean(source, SOURCES)}; known: {', '.join(SOURCES)}")
    codes = CODES.get(lang, (lang,))
    seen: set[tuple[str, str]] = set()
    examples: list[TrainingExample] = []
    files: list[dict[str, object]] = []
    for source in sources:
        for name, locate in SOURCES[source]:
            found = next((hit for hit in (locate(root / name, code) for code in codes) if hit is not None), None)
            if found is None:
                continue
            counts = {"file": f"{name}/{found[1].name}", "pairs": 0, "empty": 0, "duplicates": 0, "kept": 0}
            for english, foreign in read_parallel(*found):
                counts["pairs"] += 1
                if not english or not foreign:
                    counts["empty"] += 1
                    continue
                key = (_canonical(english), _canonical(foreign))
                if key in seen:
                    counts["duplicates"] += 1
                    continue
                seen.add(key)
                counts["kept"] += 1
                examples.append(TrainingExample(english, foreign))
            files.append(counts)
    if not files:
        raise HarnessError(
            f"no bitext for {lang!r}: none of {', '.join(f'{n}/' for s in sources for n, _ in SOURCES[s])} under {root} "
            f"has a file for {' or '.join(codes)}"
        )
    notes = {"files": files, "pairs": len(examples), "deduplication": DEDUPLICATION, "sources": list(sources)}
    return TrainingSet(f"{FOLDER}/{lang}-{ENGLISH}", (ENGLISH,), (lang,), tuple(examples), notes).subset(limit, seed)


def read_parallel(english: Path, foreign: Path) -> list[tuple[str, str]]:
    """The line-aligned ``(english, foreign)`` sentences of two files (gzipped where named
    ``.gz``), stripped; files of different lengths are malformed."""
    left, right = _lines(english), _lines(foreign)
    if len(left) != len(right):
        short, other = (english, foreign) if len(left) < len(right) else (foreign, english)
        count = min(len(left), len(right))
        raise InputFormatError(short, count + 1, f"expected the line parallel to {other}:{count + 1}, but this file ends after {count} lines")
    return list(zip(left, right))


def _lines(path: Path) -> list[str]:
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise InputFormatError(path, None, f"expected a gzip file ({type(error).__name__}: {error})") from None
    # split on "\n" only: str.splitlines would also break at U+2028 and other separators inside a sentence
    pieces = raw.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    lines = []
    for number, piece in enumerate(pieces, start=1):
        try:
            lines.append(piece.decode("utf-8-sig" if number == 1 else "utf-8").strip())
        except UnicodeDecodeError as error:
            raise InputFormatError(path, number, f"expected UTF-8 text ({error.reason} at byte {error.start})") from None
    return lines


def _canonical(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())

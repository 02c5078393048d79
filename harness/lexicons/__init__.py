"""Bilingual lexicons: MUSE dictionaries and parallel-title files, translation policies, coverage.

    from harness.lexicons import read_muse, coverage
    en_de = read_muse("../shared/data/muse/en-de.txt.gz")      # en -> de, from the file name
    en_de.translate("house")                                     # 'haus' (first translation)
    coverage(en_de, ["The house is red."]).token_share
"""
from harness.lexicons.lexicon import TRANSLATION_POLICIES, Coverage, Lexicon, coverage
from harness.lexicons.muse import read_muse
from harness.lexicons.titles import clean_title, read_titles

__all__ = ["TRANSLATION_POLICIES", "Coverage", "Lexicon", "clean_title", "coverage", "read_muse", "read_titles"]

"""The code-switching transforms of SPEC section 4, each usable on its own.

    from harness.codeswitch import bl_cs, ml_cs, wiki_cs
    rng = numpy.random.default_rng(0)
    bl_cs("Where is the house?", en_de, p=0.5, rng=rng).text

- :func:`bl_cs`: each word independently, with probability p, replaced by its EN->L translation
  when its lowercase form is in the lexicon (stopwords included);
- :func:`ml_cs`: as BL-CS, the target language drawn uniformly per word, so one text mixes
  languages;
- :func:`wiki_cs`: the lowercased text's 1-3-word n-grams that are page titles replaced
  (longest first, single English stopwords skipped, p = 1).

:mod:`.training_file` applies them to a training file on the sides the SPEC says.
"""
from harness.codeswitch.bilingual import bl_cs
from harness.codeswitch.multilingual import ml_cs
from harness.codeswitch.tokens import Switched
from harness.codeswitch.wiki import wiki_cs

__all__ = ["Switched", "bl_cs", "ml_cs", "wiki_cs"]

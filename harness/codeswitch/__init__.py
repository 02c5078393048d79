"""The code-switching transforms of SPEC section 4, each usable on its own.

    from harness.codeswitch import bl_cs, ml_cs, wiki_cs
    rng = numpy.random.default_rng(0)
    bl_cs("Where is the house?", en_de, p=0.5, rng=rng).text

- :func:`bl_cs`: each token independently, with probability p, replaced by its EN->L translation
  when its lowercase form is in the lexicon (stopwords included);
- :func:`ml_cs`: as BL-CS, a switched token's target language drawn uniformly, so one text
  mixes languages;
- :func:`wiki_cs`: the lowercased text's 1-3-word n-grams that are page titles replaced (p = 1).

Each defaults to the paper's official code (mainlp/CodeSwitchCLIR@729dff8): BL-CS and ML-CS on
NLTK's Treebank tokens (``tokenization="regex"``: the harness's words, replaced in place), Wiki-CS
with the notebook's matching (``matching="tokens"``: the harness's word matching).
:mod:`.training_file` applies them to a training file on the sides the SPEC says.
"""
from harness.codeswitch.bilingual import bl_cs
from harness.codeswitch.multilingual import ml_cs
from harness.codeswitch.tokens import Switched
from harness.codeswitch.wiki import wiki_cs

__all__ = ["Switched", "bl_cs", "ml_cs", "wiki_cs"]

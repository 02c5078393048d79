"""NLTK's Penn Treebank tokenizer and detokenizer, as the code-switching paper's official code
uses them (mainlp/CodeSwitchCLIR@729dff8: src/train_data/codeswitch_clwe.py and
src/eval_data/create_translatetest.py).

The tokenizer is rule based (regular expressions, no model data to download): it splits
punctuation and clitics (``don't`` -> ``do n't``) and writes double quotes as `````` and
``''``, which the detokenizer turns back. It does not split scripts written without spaces
(Chinese, Japanese, Thai): a clause there stays one token.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence


@functools.cache
def _tokenizer():
    from nltk.tokenize import TreebankWordTokenizer

    return TreebankWordTokenizer()


@functools.cache
def _detokenizer():
    from nltk.tokenize import TreebankWordDetokenizer

    return TreebankWordDetokenizer()


def tokenize(text: str) -> list[str]:
    """The Treebank tokens of ``text`` (case kept: lowercase first where wanted)."""
    return _tokenizer().tokenize(text)


def detokenize(tokens: Sequence[str]) -> str:
    """``tokens`` joined back into text by the Treebank detokenizer's rules."""
    return _detokenizer().detokenize(list(tokens))

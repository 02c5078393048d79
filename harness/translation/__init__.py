"""Translation into English at test time, for the translate-test adapter.

- :mod:`~harness.translation.base`: the :class:`Translator` interface;
- :mod:`~harness.translation.lexicon_backend`: term by term through MUSE X-en dictionaries (the
  code-switching paper's way);
- :mod:`~harness.translation.seq2seq_backend`: a Hugging Face translation checkpoint, with
  :mod:`~harness.translation.cache` (translations on disk) and
  :mod:`~harness.translation.language_codes` (codes of many-to-many checkpoints);
- :mod:`~harness.translation.english_view`: a pair's task with its texts in English.

Nothing here imports torch or transformers until a checkpoint translates.
"""

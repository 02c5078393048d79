"""The code-switching paper's pointwise cross-encoder data: one labelled (query, passage) pair per triple.

``mainlp/CodeSwitchCLIR@729dff8:src/train_data/baseline_zeroshot.py`` (``get_train_samples``)
reads (query, positive, negative) triples in file order and counts them: a triple whose count is a
multiple of ``pos_neg_ratio + 1`` (1 + 4) gives its positive passage, label 1; every other triple
gives its negative passage, label 0. The positives and negatives of a run of five triples belong to
different queries (its file is shuffled), and the trainer then shuffles the labelled pairs into
batches of 64. :func:`pointwise` does the same to a training set's examples in their source order
(translated and code-switched sets keep that order, so they select the same triples).

A pointwise example is a :class:`~harness.training.examples.TrainingExample` that holds either a
positive and no negatives (label 1) or no positive (:data:`NO_POSITIVE`) and one negative (label 0);
:func:`labelled_pairs` reads any example as its labelled pairs.
"""
from __future__ import annotations

from harness.training.examples import TrainingExample, TrainingSet

NO_POSITIVE = ""
"""The positive of a pointwise example that carries a negative only."""
ORIGIN = "mainlp/CodeSwitchCLIR@729dff8:src/train_data/baseline_zeroshot.py (get_train_samples, sbert_splits)"


def pointwise(training: TrainingSet, negatives: int = 4) -> TrainingSet:
    """``training``'s examples in order, each replaced by one labelled pair: example ``i`` gives its
    positive when ``i % (negatives + 1) == 0``, else its first negative. An example that should give a
    negative and has none is left out (counted in the notes)."""
    examples, missing = [], 0
    for index, example in enumerate(training.examples):
        if index % (negatives + 1) == 0:
            examples.append(TrainingExample(example.query, example.positive))
        elif example.negatives:
            examples.append(TrainingExample(example.query, NO_POSITIVE, example.negatives[:1]))
        else:
            missing += 1
    positives = sum(example.positive != NO_POSITIVE for example in examples)
    notes = {
        **training.notes,
        "sampling": {
            "kind": "pointwise", "negatives_per_positive": negatives, "positives": positives, "negatives": len(examples) - positives,
            "rule": f"example i in source order gives its positive if i % {negatives + 1} == 0, else its first negative", "origin": ORIGIN,
            **({"without_negative": missing} if missing else {}),
        },
    }
    return training.with_examples(examples, notes=notes)


def labelled_pairs(example: TrainingExample) -> list[tuple[str, str, float]]:
    """``(query, document, label)`` for the example's positive (unless :data:`NO_POSITIVE`) and each negative."""
    positive = [] if example.positive == NO_POSITIVE else [(example.query, example.positive, 1.0)]
    return positive + [(example.query, negative, 0.0) for negative in example.negatives]

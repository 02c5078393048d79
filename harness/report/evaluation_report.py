"""What ``harness eval`` produced: per-pair records, the submission storing them, and how to show them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI checks results against Report without loading the store
    import pandas as pd

    from harness.submissions import PairRecord, Submission


@dataclass
class Report:
    """What an evaluation produced: per-pair records (and the submission that stores them, if any)."""

    records: list[PairRecord]
    submission: Submission | None = None
    skipped: list[str] = field(default_factory=list)
    evaluations: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The pairs as a pandas DataFrame, one row each, ordered by setting then pair: ``pair``,
        ``setting``, ``queries`` (int64) and a float column per measure (NaN where a pair lacks it).

        Only pairs, so that ``groupby``, ``mean`` or ``len`` count pairs; the macro averages per
        setting are :meth:`means_frame`, the per-query scores :meth:`per_query_frame`.
        """
        from harness.report.tables import results_frame

        # results_frame lists the pairs first, then the mean rows that to_table shows below them
        pairs = results_frame(self.records).iloc[: len(self.records)]
        return pairs.astype({"queries": "int64"}).reset_index(drop=True)

    def means_frame(self) -> pd.DataFrame:
        """The macro averages as a pandas DataFrame, one row per setting present (MOIR, CLIR, MLIR):
        ``setting``, ``pairs`` (int64, how many were averaged) and a float column per measure.

        Averages never pool pairs of different settings (SPEC section 2); a measure some pair of
        the setting lacks has no average (NaN) rather than one over fewer pairs.
        """
        import pandas as pd

        from harness.report.tables import macro_averages

        averages = macro_averages(self.records)
        measures = list(next(iter(averages.values()), {}))
        rows = [{"setting": setting, "pairs": sum(r.setting == setting for r in self.records), **means} for setting, means in averages.items()]
        return pd.DataFrame(rows, columns=["setting", "pairs", *measures]).astype({"pairs": "int64"})

    def per_query_frame(self) -> pd.DataFrame:
        """Per-query scores as a long pandas DataFrame (what ``pd.DataFrame(ir_measures.iter_calc(...))``
        gives, with a pair column): one row per pair, query and measure, columns ``pair``, ``query_id``,
        ``measure`` (its name) and ``value`` (float64); pairs in :meth:`to_frame`'s order, query ids
        sorted within a pair. ``frame.pivot(index=["pair", "query_id"], columns="measure",
        values="value")`` gives the wide table.

        Pairs this evaluation scored come from memory; pairs it skipped because the submission
        already held them are read from the submission's per-query files.
        """
        import pandas as pd

        rows = []
        for pair in self.to_frame()["pair"]:
            scores = self._per_query(pair)
            for query_id in sorted({qid for values in scores.values() for qid in values}):
                rows += [(pair, query_id, measure, values[query_id]) for measure, values in scores.items() if query_id in values]
        return pd.DataFrame(rows, columns=["pair", "query_id", "measure", "value"]).astype({"value": "float64"})

    def _per_query(self, pair: str) -> Mapping[str, Mapping[str, float]]:
        """measure -> query id -> value of one of the report's pairs."""
        if pair in self.evaluations:
            return self.evaluations[pair].per_query
        if self.submission is None:
            from harness.errors import HarnessError

            raise HarnessError(f"{pair}: this report holds no per-query scores for it (neither evaluated nor in a submission)")
        from harness.datasets.pairs import PairId

        return self.submission.per_query(PairId.parse(pair))

    def to_table(self) -> str:
        """The pairs and the macro averages per setting as a plain-text table for the terminal."""
        from harness.report.tables import render_table

        return render_table(self.records)

    def to_json(self, per_query: bool = False) -> str:
        """The records as JSON, with the submission and warnings; ``per_query`` adds each evaluated
        pair's per-query values (measure -> query id -> value)."""
        from harness.report.tables import render_json

        extra: dict[str, Any] = {"warnings": self.warnings}
        if self.submission is not None:
            extra.update({"submission": self.submission.name, "path": str(self.submission.root), "skipped": self.skipped})
        if per_query:
            extra["per_query"] = {pair: evaluation.to_dict()["per_query"] for pair, evaluation in self.evaluations.items()}
        return render_json(self.records, extra)

"""What ``harness eval`` produced: per-pair records, the submission storing them, and how to show them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI checks results against Report without loading the store
    from harness.submissions import PairRecord, Submission


@dataclass
class Report:
    """What an evaluation produced: per-pair records (and the submission that stores them, if any)."""

    records: list[PairRecord]
    submission: Submission | None = None
    skipped: list[str] = field(default_factory=list)
    evaluations: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_frame(self):
        """A pandas DataFrame: pairs x measures, with macro averages per setting."""
        from harness.report.tables import results_frame

        return results_frame(self.records)

    def to_table(self) -> str:
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
            extra["per_query"] = {pair: evaluation.per_query for pair, evaluation in self.evaluations.items()}
        return render_json(self.records, extra)

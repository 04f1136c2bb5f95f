"""The design study's variants and result type, below both the study and its report.

Kept apart so :mod:`benchmark.studies.mmoc_design` (which runs the study) and
:mod:`benchmark.studies.design_report` (which writes it up) both import them without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from benchmark.harness import RunSummary
from benchmark.studies.toy import ToyPanel

__all__ = ["VARIANTS", "N_GENERATED", "DesignStudy"]

_CAT = "mmoc-gan-cat"
_EARLIER = {
    "feature_matching": "mean-hidden",
    "pull_away_on": "discriminator",
    "d_optimizer": "adam",
    "scaling": "standard-linear",
}

#: Table label -> (registered detector, the switches that differ from OCAN's core).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "ocan-core": (_CAT, {}),
    "fm-mean-hidden": (_CAT, {"feature_matching": "mean-hidden"}),
    "pull-away-on-D": (_CAT, {"pull_away_on": "discriminator"}),
    "adam-for-D": (_CAT, {"d_optimizer": "adam"}),
    "standardised-linear": (_CAT, {"scaling": "standard-linear"}),
    "earlier-core": (_CAT, dict(_EARLIER)),
    "ocan": ("ocan", {}),
}

#: Generated rows sampled per refit model for the landing diagnostic.
N_GENERATED = 1000


@dataclass
class DesignStudy:
    """What :func:`run_design_study` produced (the report is already written)."""

    output_md: Path
    figure: Path
    summary: RunSummary
    auroc: pd.DataFrame  # dataset, variant, fold, auroc (status ok only)
    landing: pd.DataFrame  # one row per (dataset, variant, group)
    refits: pd.DataFrame  # one row per (dataset, variant): recorded and refit AUROC
    toy: list[ToyPanel]
    seconds: float

    @property
    def refit_ok(self) -> bool:
        return bool(len(self.refits)) and bool(self.refits["match"].all())

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

from benchmark.engine.harness import RunSummary
from benchmark.studies.toy import ToyPanel

__all__ = ["LABEL_VARIANTS", "N_GENERATED", "PAPER_EQUATIONS", "VARIANTS", "DesignStudy"]

_CAT = "mmoc-gan-cat"
_EARLIER = {
    "feature_matching": "mean-hidden",
    "pull_away_on": "discriminator",
    "d_optimizer": "adam",
    "scaling": "standard-linear",
}

#: The paper's equations where the core follows OCAN's code instead: Eq. 8's side of the
#: density term, Eq. 9's batch-mean feature matching, Eq. 10's pull-away on D's features,
#: Eq. 11's D loss (no MI term; Q trains with G on Eq. 7) and its entropy weight of 1.
PAPER_EQUATIONS: dict[str, Any] = {
    "density_term": "paper-eq8",
    "feature_matching": "mean-hidden",
    "pull_away_on": "discriminator",
    "q_training": "paper-eq11",
    "entropy_weight": 1.0,
}

#: OCAN's core on ``mmoc-gan-cat``: the switches where its defaults differ from OCAN's code
#: (its feature matching follows Eq. 9), set back, so every variant names one flip.
_OCAN_CORE: dict[str, Any] = {"feature_matching": "paired-logits"}

#: Table label -> (registered detector, its parameters: OCAN's core plus the flips).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "ocan-core": (_CAT, dict(_OCAN_CORE)),
    "fm-mean-hidden": (_CAT, {"feature_matching": "mean-hidden"}),
    "pull-away-on-D": (_CAT, _OCAN_CORE | {"pull_away_on": "discriminator"}),
    "adam-for-D": (_CAT, _OCAN_CORE | {"d_optimizer": "adam"}),
    "standardised-linear": (_CAT, _OCAN_CORE | {"scaling": "standard-linear"}),
    "earlier-core": (_CAT, dict(_EARLIER)),
    "density-eq8": (_CAT, _OCAN_CORE | {"density_term": "paper-eq8"}),
    "q-with-G-eq11": (_CAT, _OCAN_CORE | {"q_training": "paper-eq11"}),
    "entropy-weight-1": (_CAT, _OCAN_CORE | {"entropy_weight": 1.0}),
    "fm-mean-hidden-and-pull-away-on-D": (
        _CAT,
        {"feature_matching": "mean-hidden", "pull_away_on": "discriminator"},
    ),
    "paper-equations": (_CAT, dict(PAPER_EQUATIONS)),
    "ocan": ("ocan", {}),
}

#: Variants whose epsilon is cut at the data set's anomaly fraction, as the paper does
#: ("the percentile of anomalies within the dataset"): label information a one-class
#: detector does not have, so they are run apart and marked as using labels.
LABEL_VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "eps-anomaly-fraction": (_CAT, dict(_OCAN_CORE)),
    "paper-equations-eps-anomaly-fraction": (_CAT, dict(PAPER_EQUATIONS)),
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

"""Damaged files are detected on load, reported by path and reason, and recomputed.

Truncated, empty and garbage result files, records of an older schema or without their
metrics, truncated or missing score files, and split files that no longer match their
hash or their data set: each is named in a warning and rewritten, and the final result
set equals the undamaged run's; no damaged file is ever used.
"""

from __future__ import annotations

import pytest
from helpers import assert_clean

from benchmark.faults.inprocess_trials import CELL_DAMAGE, SPLIT_DAMAGE, corruption_trial


def test_every_kind_of_damaged_cell_is_reported_and_recomputed(tmp_path, reference):
    outcome = corruption_trial(tmp_path, reference, list(CELL_DAMAGE), name="cells")
    assert_clean(outcome)
    assert outcome.trials == len(CELL_DAMAGE) and outcome.recomputed == len(CELL_DAMAGE)


@pytest.mark.parametrize("kind", list(SPLIT_DAMAGE))
def test_damaged_split_file_is_reported_and_recomputed(tmp_path, reference, kind):
    outcome = corruption_trial(tmp_path, reference, [kind])
    assert_clean(outcome)
    assert outcome.trials == 2  # both data sets' split files were damaged and rewritten

"""Crash consistency: SIGKILL and Ctrl-C at random moments lose and duplicate nothing.

Real command-line runs are killed (whole process group) and restarted; at the end the
result set must equal an uninterrupted run's, cell for cell, and no finished cell may
have been computed again. ``make test-slow`` runs the long kill loop (25 kills).
"""

from __future__ import annotations

import signal

import pytest
from helpers import assert_clean

from benchmark.faults.cli_trials import crash_trial, sigint_trial


def test_sigkill_five_times_then_resume_equals_uninterrupted_run(tmp_path, reference):
    outcome = crash_trial(tmp_path, reference, kills=5, seed=1)
    assert_clean(outcome)


@pytest.mark.slow
def test_sigkill_twenty_five_times_then_resume_equals_uninterrupted_run(tmp_path, reference):
    outcome = crash_trial(tmp_path, reference, kills=25, seed=2)
    assert_clean(outcome)


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path, reference):
    """SIGINT to the process group, as a terminal's Ctrl-C sends it: exit 130, the count
    of saved cells and the resume hint, no process and no temporary file left."""
    assert_clean(sigint_trial(tmp_path, reference, whole_group=True, resume=False))


def test_sigterm_to_main_process_is_handled_like_ctrl_c(tmp_path, reference):
    """What Slurm, Kubernetes and `timeout` send: exit 143 with the same line as Ctrl-C, the
    cells' children ended, no lock held, results.csv and run.json over the saved cells."""
    outcome = sigint_trial(tmp_path, reference, whole_group=False, resume=False, sig=signal.SIGTERM)
    assert_clean(outcome)


@pytest.mark.slow
def test_sigint_to_main_process_alone_kills_its_children_and_resume_completes(tmp_path, reference):
    """Only the main process gets SIGINT: it must stop the cells' children itself."""
    assert_clean(sigint_trial(tmp_path, reference, whole_group=False, resume=True))

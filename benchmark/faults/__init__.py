"""The fault-injection kit: run the suite under crashes, corruption and broken parts.

It checks the product from outside and is not part of it: nothing in the rest of
``benchmark`` imports this package. ``python -m benchmark.faults`` runs every injection
and prints one row per fault; ``tests/faults/test_faults_*.py`` run them one by one.

* :mod:`~benchmark.faults.runs`: the fault grid, starting and killing real runs,
  comparing result sets, the :class:`~benchmark.faults.runs.Outcome` of a trial.
* :mod:`~benchmark.faults.cli_trials`: faults injected into real command-line runs
  (SIGKILL, Ctrl-C, SIGTERM, concurrent runs, broken detectors).
* :mod:`~benchmark.faults.inprocess_trials`: faults injected into runs in this process
  (damaged files, full disk, memory limit, cell locks, malformed data files).
* :mod:`~benchmark.faults.detectors`: the hidden, deliberately broken ``fault-*``
  detectors; :mod:`~benchmark.faults.disk`: a full disk; :mod:`~benchmark.faults.data`:
  malformed data files.

This file imports nothing, so that a cell's child that unpickles a ``fault-*`` detector
class (and so imports :mod:`benchmark.faults.detectors`) loads no more than it needs.
"""

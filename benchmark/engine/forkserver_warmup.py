"""Work every cell's child would repeat, done once in the cells' forkserver before it forks.

:mod:`benchmark.engine.workers` preloads this module: the package versions a result records and
threadpoolctl's scan of the loaded libraries and scikit-learn's first-call set-up of the
metrics (narwhals discovers its plug-ins through the package metadata) are then inherited
by each child instead of being done again (together ~110-200 ms a cell on a loaded 2-core
machine, cProfile of 65 trivial cells).
"""

import signal

import numpy as np

from benchmark.engine.limits import warm_thread_controller
from benchmark.evaluation.compute import versions
from benchmark.evaluation.metrics import ranking_metrics

versions()
warm_thread_controller()
ranking_metrics(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.8]))

# The forkserver gives each child it forks the SIGINT handler it found at start-up.
# Python's (KeyboardInterrupt) let a Ctrl-C that reached a child before its cell code set
# SIG_DFL (isolation._child) print a traceback from multiprocessing's bootstrap (1 of 6
# full test runs on 2026-12-04: test_ctrl_c_stops_cleanly_and_says_how_to_resume). With
# SIG_DFL such a child ends at once and silently, as it does once _child has started;
# the parent kills and accounts for every child on Ctrl-C (isolation.abort_all).
signal.signal(signal.SIGINT, signal.SIG_DFL)

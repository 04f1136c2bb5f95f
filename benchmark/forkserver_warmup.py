"""Work every cell's child would repeat, done once in the cells' forkserver before it forks.

:mod:`benchmark.isolation` preloads this module: the package versions a result records and
threadpoolctl's scan of the loaded libraries and scikit-learn's first-call set-up of the
metrics (narwhals discovers its plug-ins through the package metadata) are then inherited
by each child instead of being done again (together ~110-200 ms a cell on a loaded 2-core
machine, cProfile of 65 trivial cells).
"""

import numpy as np

from benchmark.cells import versions
from benchmark.limits import warm_thread_controller
from benchmark.metrics import ranking_metrics

versions()
warm_thread_controller()
ranking_metrics(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.8]))

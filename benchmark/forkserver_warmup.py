"""Work every cell's child would repeat, done once in the cells' forkserver before it forks.

:mod:`benchmark.isolation` preloads this module: the package versions a result records and
threadpoolctl's scan of the loaded libraries are then inherited by each child instead of
being looked up again (together ~80-160 ms a cell on a loaded 2-core machine).
"""

from benchmark.cells import versions
from benchmark.limits import warm_thread_controller

versions()
warm_thread_controller()

"""Imported last by the cells' forkserver: freeze the heap every cell's child inherits.

Each cell's child is forked from a forkserver that has torch, scikit-learn and the suite
imported (about 411,000 objects). A full garbage collection in a child walks all of them,
writing to their headers and so copying the shared memory pages: 0.57-0.77 s and the
copied pages, measured on the 2-core development machine under load; 0.1 s once frozen.
``gc.freeze()`` moves them to a permanent generation the collector never scans (Python's
recipe for forking servers); the child's own objects are collected as usual. A trivial
cell rarely triggers a full collection (its cost moved little); a long neural cell does.
"""

from __future__ import annotations

import gc

from benchmark.cells import versions

versions()  # cached: each child would otherwise read the packages' metadata again
gc.freeze()

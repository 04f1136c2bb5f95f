"""``python -m benchmark.data.make_large OUT.csv``: write a synthetic large data set.

A module of its own so that ``-m`` runs it cleanly: ``benchmark.data`` imports
:mod:`benchmark.data.synthetic` itself, and running an imported module with ``-m`` makes
Python warn. See :func:`benchmark.data.synthetic.gaussian_modes`.
"""

from __future__ import annotations

from benchmark.data.synthetic import main

if __name__ == "__main__":
    raise SystemExit(main())

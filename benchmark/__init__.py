"""mmoc-bench: protocol, splits, harness, metrics and tables of the one-class benchmark.

Scores follow PyOD's convention everywhere: a higher score means more anomalous.
"""

__version__ = "0.1.0"

"""Where results live: cell records and their states, the run folder, long-format
results, and the per-cell locks that let several runs share one folder."""

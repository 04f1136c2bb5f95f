"""The command line: ``python run_benchmark.py --help`` (``main`` lives in ``main.py``)."""

#!/usr/bin/env python
"""Run the one-class anomaly detection benchmark: ``python run_benchmark.py --help``."""

import sys

from benchmark.cli.main import main

if __name__ == "__main__":
    sys.exit(main())

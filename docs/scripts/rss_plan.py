"""The main process's RSS after ``plan()`` of a 500k x 118 synthetic set (every detector,
5 folds): ``PYTHONPATH=. python docs/scripts/rss_plan.py`` (docs/design.md, "Large data")."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmark.data.synthetic import gaussian_modes
from benchmark.engine.config import RunConfig
from benchmark.engine.harness import plan
from benchmark.registry import detectors


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB, from /proc."""
    with open("/proc/self/status") as fh:
        vm = {line.split(":")[0]: line.split()[1] for line in fh if line.startswith("Vm")}
    return int(vm["VmRSS"]) / 1024, int(vm["VmHWM"]) / 1024


def main() -> None:
    """Print RSS after generating the data and after planning the run."""
    ds = gaussian_modes(500_000, 118)
    print("after generating: rss {:.0f} MB, peak {:.0f} MB".format(*rss_mb()))
    with tempfile.TemporaryDirectory() as tmp:
        config = RunConfig(
            datasets=[ds.name],
            detectors=list(detectors()),
            folds=5,
            output=Path(tmp) / "run",
            splits_dir=Path(tmp) / "splits",
            extra_datasets={ds.name: ds},
        )
        planned = plan(config, dry=True)
        print(len(planned), "cells; after plan: rss {:.0f} MB, peak {:.0f} MB".format(*rss_mb()))


if __name__ == "__main__":
    main()

"""What a run is asked to do (:class:`RunConfig`), checked when it is made.

Kept apart from :mod:`benchmark.engine.harness`, which executes it; ``benchmark.engine.harness``
re-exports both names, the import most code uses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmark.data.dataset import Dataset
from benchmark.engine.backends import check_backend
from benchmark.evaluation.protocols import check_contamination
from benchmark.registry import DEFAULT_PRESET, check_preset

__all__ = ["RunConfig", "variants_config", "parse_train_caps"]


@dataclass
class RunConfig:
    """Everything that defines a run; the same config and seed give the same results."""

    datasets: list[str]
    detectors: list[str]
    protocol: str = "kfold-normal"
    folds: int = 5
    seed: int = 0
    repeats: int = 1  # independent repetitions of the protocol, each with its own splits
    preset: str = DEFAULT_PRESET  # one of benchmark.registry.PRESETS
    output: Path = Path("results") / "run"
    n_jobs: int = 1
    timeout: float | None = None
    force: bool = False
    device: str = "cpu"
    splits_dir: Path | None = None
    detector_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    extra_datasets: dict[str, Dataset] = field(default_factory=dict)
    isolate: bool = True
    memory_limit_mb: float | None = None  # MB a cell may allocate (RLIMIT_AS), as --memory-limit
    argv: list[str] = field(default_factory=list)  # the command line, recorded in run.json
    backend: str = "local"  # "local" (warm worker processes here) or "dask" (a Dask cluster)
    scheduler: str | None = None  # dask: the address of a running scheduler
    local_workers: int | None = None  # dask: start a local cluster of this many processes
    fold_batching: bool = True  # local: fit a fold-batchable detector's folds together
    stop_after: float | None = None  # local: seconds after which no unit of work starts
    train_caps: dict[str, int | None] = field(default_factory=dict)  # label: rows (0: none)
    # None: the protocol as published; ALPHA: anomaly pools, ALPHA of training rows leaked
    # (benchmark/evaluation/protocols.py); --contamination 0 is None
    contamination: float | None = None

    def __post_init__(self) -> None:
        check_preset(self.preset)  # an unknown preset must not mean class defaults
        error = check_backend(self.backend, self.scheduler, self.local_workers, self.timeout)
        if error:
            raise ValueError(error)
        if self.stop_after is not None and not self.stop_after > 0:
            raise ValueError(f"stop_after must be positive seconds, got {self.stop_after}")
        if self.stop_after is not None and self.backend != "local":
            raise ValueError("stop_after is for the local backend")
        if not (isinstance(self.repeats, int) and self.repeats >= 1):
            raise ValueError(f"repeats must be a whole number >= 1, got {self.repeats!r}")
        error = check_contamination(self.contamination, self.protocol)
        if error:
            raise ValueError(error)
        if self.memory_limit_mb is not None and not self.memory_limit_mb > 0:
            raise ValueError(
                f"memory_limit_mb must be a positive number of MB, got {self.memory_limit_mb}"
            )

    @property
    def memory_limit_bytes(self) -> int | None:
        """:attr:`memory_limit_mb` in bytes, as the resource limit takes it (None: none)."""
        return int(self.memory_limit_mb * 2**20) if self.memory_limit_mb else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output"] = str(self.output)
        d["splits_dir"] = str(self.splits_dir) if self.splits_dir else None
        d["extra_datasets"] = {k: v.source for k, v in self.extra_datasets.items()}
        return d


def variants_config(
    datasets: list[str],
    variants: dict[str, tuple[str, dict[str, Any]]],
    output: Path | str,
    **options: Any,
) -> RunConfig:
    """A ``kfold-normal`` run of labelled detector variants (the studies' shape).

    ``variants`` maps each table label to (registered detector, extra parameters);
    ``options`` are further :class:`RunConfig` fields (seed, preset, folds, ...).
    """
    if options.get("splits_dir") is not None:
        options["splits_dir"] = Path(options["splits_dir"])
    return RunConfig(
        datasets=list(datasets),
        detectors=list(variants),
        protocol="kfold-normal",
        output=Path(output),
        variants=variants,
        **options,
    )


def parse_train_caps(items: list[str], detectors: list[str]) -> dict[str, int | None]:
    """``--train-cap DET=ROWS`` options as {detector: rows or None}; a one-line error.

    Split at the last ``=``, so a label with arguments (``pyod:KNN(n_neighbors=10)=500``)
    keeps its own."""
    caps: dict[str, int | None] = {}
    for item in items:
        name, sep, rows = item.rpartition("=")
        if not sep or not rows.strip().isdigit():
            raise ValueError(f"--train-cap {item!r}: expected DETECTOR=ROWS, e.g. gmm=50000")
        if name not in detectors:
            raise ValueError(
                f"--train-cap {item!r}: {name!r} is not one of this run's detectors"
                f" ({', '.join(detectors)})"
            )
        n = int(rows)
        if n == 1:
            raise ValueError(f"--train-cap {item!r}: a fit needs at least 2 rows (0: no cap)")
        caps[name] = n or None
    return caps

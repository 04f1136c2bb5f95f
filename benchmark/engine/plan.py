"""The plan of a run: every (data set, detector, fold) cell it asks for, with the rows
each needs and whether a valid result already exists in the run folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmark.data.dataset import Dataset
from benchmark.engine.config import RunConfig
from benchmark.evaluation.cell import TRAIN_CAP, Cell, cell_seed, repeat_seed
from benchmark.evaluation.inputs import FoldInputs, shared_rows
from benchmark.evaluation.splits import get_splits
from benchmark.registry import DetectorSpec, get_dataset, get_detector
from benchmark.store.records import SavedCell, read_cell
from benchmark.store.states import RecordState

__all__ = ["DEFAULT_SPLITS_DIR", "PlannedCell", "plan"]

DEFAULT_SPLITS_DIR = Path("results") / "splits"


@dataclass
class PlannedCell:
    """A cell, the rows it needs, and whether a valid result already exists."""

    cell: Cell
    cls: type
    inputs: FoldInputs  # the data set once + the fold's indices; rows built when computed
    state: RecordState  # what its saved record is worth (FINISHED: reused)
    detail: str = ""  # what is damaged, when it is

    @property
    def done(self) -> bool:
        return self.state is RecordState.FINISHED

    @property
    def reason(self) -> str:
        """Why the cell is (not) computed, in words: its state, or what is damaged."""
        return self.detail or self.state.value


def _load_dataset(name: str, config: RunConfig) -> Dataset:
    if name in config.extra_datasets:
        return config.extra_datasets[name]
    return get_dataset(name).load()


def _detector(label: str, config: RunConfig) -> tuple[str, DetectorSpec, dict[str, Any]]:
    """Resolve a table label to (registered name, spec, constructor params).

    A parameter the class does not have is an error here, before any cell runs.
    """
    name, extra = config.variants.get(label, (label, {}))
    spec = get_detector(name)
    params = spec.params(config.preset) | config.detector_params.get(label, {}) | extra
    spec.check_params(params, f"detector {label!r}" + (f" ({name})" if name != label else ""))
    return name, spec, params


def _preprocessing(cls: type, params: dict[str, Any]) -> str:
    """How the cell scales its features: the detector's choice for these parameters."""
    choose = getattr(cls, "preprocessing_for", None)
    return choose(params) if choose else getattr(cls, "preprocessing", "standard")


def _train_cap(label: str, spec: DetectorSpec, config: RunConfig) -> int | None:
    """The training-row cap of ``label``'s cells: ``--train-cap``, else the spec's."""
    if label in config.train_caps:
        return config.train_caps[label] or None  # 0 or None: no cap
    return spec.cap(config.preset)


def plan(config: RunConfig, dry: bool = False) -> list[PlannedCell]:
    """Every cell of the run with its inputs, the splits loaded or created once.

    No fold's rows are copied here: each cell gets the data set (once, shared by all its
    cells; a large one as a row file) and its fold's indices. A detector's training cap
    enters the cell's configuration only where it binds (more training rows than it).
    With ``config.repeats`` > 1 each repetition has its own splits and cell seeds, from
    :func:`~benchmark.evaluation.cell.repeat_seed`. With ``dry`` (``--dry-run``) nothing
    is written: new splits are not saved.
    """
    splits_dir = Path(config.splits_dir or DEFAULT_SPLITS_DIR)
    detectors = [(label, *_detector(label, config)) for label in config.detectors]
    planned: list[PlannedCell] = []
    for ds_name in config.datasets:
        ds = _load_dataset(ds_name, config)
        X = shared_rows(ds.X)
        for repeat in range(config.repeats):
            seed_r = repeat_seed(config.seed, repeat)
            splits = get_splits(
                ds,
                config.protocol,
                config.folds,
                seed_r,
                splits_dir,
                save=not dry,
                contamination=config.contamination,
            )
            for fold in range(config.folds):
                train, test = splits.train[fold], splits.test[fold]
                inputs = FoldInputs(X, ds.y, train, test)
                for label, name, spec, params in detectors:
                    cell = _cell(
                        config, ds_name, ds, splits, fold, repeat, label, name, spec, params
                    )
                    saved = (
                        SavedCell(None, RecordState.FORCED)
                        if config.force
                        else read_cell(config.output, cell)
                    )
                    planned.append(PlannedCell(cell, spec.cls, inputs, saved.state, saved.detail))
    return planned


def _cell(config, ds_name, ds, splits, fold, repeat, label, name, spec, params) -> Cell:
    """The identity of one cell of the plan (repetition ``repeat`` of fold ``fold``)."""
    cls = spec.cls
    seed = cell_seed(repeat_seed(config.seed, repeat), ds_name, label, fold)
    params = params | spec.runtime_params(seed, config.device)
    cap = _train_cap(label, spec, config)
    binds = cap is not None and len(splits.train[fold]) > cap
    return Cell(
        dataset=ds_name,
        label=label,
        detector=name,
        params=params,
        fold=fold,
        seed=seed,
        protocol=config.protocol,
        folds=config.folds,
        run_seed=config.seed,
        preset=config.preset,
        data_hash=splits.data_hash,
        split_hash=splits.hashes[fold],
        preprocessing=_preprocessing(cls, params),
        rho=float(ds.anomaly_rate),
        extra=({TRAIN_CAP: cap} if binds else {}) | splits.cell_extra(fold),
        revision=int(getattr(cls, "revision", 1)),
        repeat=repeat,
    )

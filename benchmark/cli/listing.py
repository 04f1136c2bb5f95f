"""``--list`` (and ``--list --verbose``): what the suite can run, and what it costs."""

from __future__ import annotations

import textwrap

from benchmark.registry import GROUPS, datasets, detector_groups, detectors

__all__ = ["print_list"]


def print_list(verbose: bool = False) -> None:
    """``--list``: the detectors and data sets; with ``verbose``, the cost models too."""
    from tabulate import tabulate

    det_rows = [[n, s.group or "", s.summary] for n, s in sorted(detectors().items())]
    print("Detectors (score: higher = more anomalous)")
    print(tabulate(det_rows, headers=["name", "group", "what it is"], tablefmt="simple"))
    _print_groups()
    ds_rows = []
    for name, spec in datasets().items():
        pct = f"{spec.anomaly_pct:.2f}" if spec.anomaly_pct is not None else "?"
        source = textwrap.shorten(spec.source, 70, placeholder=" …", break_on_hyphens=False)
        ds_rows.append([name, spec.n, spec.d, spec.n_anomalies, pct, source])
    print("\nData sets")
    print(tabulate(ds_rows, headers=["name", "n", "d", "anomalies", "anomaly %", "source"]))
    if verbose:
        _print_cost_models(sorted(detectors()))


def _print_groups() -> None:
    """The detector groups ``--detectors`` takes, and the ``pyod:`` form."""
    print("\nDetector groups (--detectors GROUP; groups and names mix: paper,iforest)")
    for group, members in detector_groups().items():
        what = GROUPS.get(group, "every detector above" if group == "all" else "")
        print(f"  {group}: {what}{': ' if what else ''}{', '.join(members) or '(none)'}")
    print(
        "  pyod:Class or 'pyod:Class(arg=value,...)': any PyOD detector by class name,"
        " e.g. pyod:KDE, 'pyod:KNN(n_neighbors=10,method=mean)'"
    )


def _print_cost_models(names: list[str]) -> None:
    """``--list --verbose``: how each detector's CPU time grows, and where that is measured."""
    from benchmark.engine.cost import calibration_path, cost_model, load_calibration

    calibration = load_calibration()
    print("\nCost models (CPU seconds of one cell, one thread; n_train, n_test rows, d features)")
    for name in names:
        model = cost_model(name)
        formula = model.formula if model else "none (estimated at the run's median cell)"
        print(f"  {name}: {formula}")
    where = (
        f"calibrated on {calibration.machine}, {calibration.created[:10]}"
        if calibration.coefficients
        else "not calibrated"
    )
    print(f"Coefficients: {calibration_path()} ({where});")
    print("recalibrate on your machine with: python -m benchmark.engine.cost_calibration")

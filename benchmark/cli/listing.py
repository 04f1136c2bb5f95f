"""``--list`` (and ``--list --verbose``): what the suite can run, and what it costs."""

from __future__ import annotations

import textwrap

from benchmark.registry import datasets, detectors

__all__ = ["print_list"]


def print_list(verbose: bool = False) -> None:
    """``--list``: the detectors and data sets; with ``verbose``, the cost models too."""
    from tabulate import tabulate

    det_rows = [[name, spec.summary] for name, spec in sorted(detectors().items())]
    print("Detectors (score: higher = more anomalous)")
    print(tabulate(det_rows, headers=["name", "what it is"], tablefmt="simple"))
    ds_rows = []
    for name, spec in datasets().items():
        pct = f"{spec.anomaly_pct:.2f}" if spec.anomaly_pct is not None else "?"
        source = textwrap.shorten(spec.source, 70, placeholder=" …", break_on_hyphens=False)
        ds_rows.append([name, spec.n, spec.d, spec.n_anomalies, pct, source])
    print("\nData sets")
    print(tabulate(ds_rows, headers=["name", "n", "d", "anomalies", "anomaly %", "source"]))
    if verbose:
        _print_cost_models(sorted(detectors()))


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

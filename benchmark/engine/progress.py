"""The run's progress bar: it counts expected CPU seconds, not cells, so its ETA holds
when minute-long GAN cells and sub-second GMM cells are mixed."""

from __future__ import annotations

from collections.abc import Callable

from tqdm.auto import tqdm

from benchmark.engine.cost import planned_costs, progress_weights
from benchmark.engine.plan import PlannedCell

__all__ = ["cell_counter", "cost_weighted_bar"]

#: The bar counts expected CPU seconds (benchmark/engine/cost.py), so its ETA weighs a GAN cell
#: by its cost and not as one of many quick GMM cells; the cells are shown beside it.
_BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]"


def cost_weighted_bar(pending: list[PlannedCell], enabled: bool) -> tqdm:
    """A bar over the pending cells, each weighted by its expected
    cost; ``bar.weights`` maps each cell's name to its weight."""
    weights = progress_weights(planned_costs(pending)) if pending else []
    bar = tqdm(
        total=sum(weights),
        desc="cells",
        bar_format=_BAR_FORMAT,
        disable=not (enabled and pending),  # every cell reused: no empty bar
        smoothing=0.05,
    )
    bar.weights = {p.cell.name: w for p, w in zip(pending, weights)}
    bar.set_description_str(f"cells 0/{len(pending)}", refresh=False)
    return bar


def cell_counter(bar: tqdm) -> Callable[[dict], None]:
    """A callback that moves ``bar`` on by a finished cell's weight and counts the failures."""
    counts = {"ok": 0, "failed": 0}
    n_cells = len(bar.weights)

    def done(record: dict) -> None:
        counts["ok" if record.get("status") == "ok" else "failed"] += 1
        finished = counts["ok"] + counts["failed"]
        bar.set_description_str(f"cells {finished}/{n_cells}", refresh=False)
        if counts["failed"]:
            bar.set_postfix_str(f"{counts['failed']} failed", refresh=False)
        cell = record.get("cell") or {}
        name = f"{cell.get('dataset')}/{cell.get('label')}/fold{cell.get('fold')}"
        left = max(bar.total - bar.n, 0.0)  # float sums: never step past the end
        bar.update(left if finished == n_cells else min(bar.weights.get(name, 0.0), left))

    return done

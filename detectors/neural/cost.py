"""The cost model the neural detectors register with: a constant set-up, then per gradient
step a constant (Python's overhead) plus parts growing with the rows per step and the
input width, then scoring (the engine supplies the steps and rows per step)."""

from __future__ import annotations

from benchmark.registry import CostModel

__all__ = ["NEURAL_COST", "neural_terms", "TRAINING_TERMS"]

#: The training steps' terms (steps, steps x batch, steps x batch x d): fold batching's part.
TRAINING_TERMS = (1, 2, 3)


def neural_terms(params, n_train, n_test, d, budget) -> list[float]:
    """1, steps, steps x batch, steps x batch x d, n_test x d."""
    steps, batch = budget
    return [1.0, steps, steps * batch, steps * batch * d, n_test * d]


NEURAL_COST = CostModel(
    "setup + steps x (a + batch x (b + c d)) + scoring (n_test x d)",
    neural_terms,
    neural=True,
    batched_terms=TRAINING_TERMS,
)

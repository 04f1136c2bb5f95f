"""The typed states of a cell: what its saved record is worth (:class:`RecordState`, read
by :func:`benchmark.store.records.read_cell`) and what a run did with it (:class:`Outcome`).

Both are ``StrEnum``: the value is the word run folders, logs and ``--dry-run`` show.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Outcome", "RecordState"]


class RecordState(StrEnum):
    """What the record saved for a cell is worth to a run that plans it."""

    FINISHED = "done"  # a usable record: the cell is reused
    MISSING = "missing"  # nothing saved
    STALE = "configuration changed"  # saved for another configuration (or code revision)
    FAILED = "failed before"  # a failure record: the cell is computed again
    DAMAGED = "damaged"  # unreadable, incomplete or not matching its scores: recomputed
    FORCED = "forced"  # ``--force``: not even read


class Outcome(StrEnum):
    """What one run did with one cell."""

    COMPUTED = "computed"  # computed here (ok or failed), its record saved
    REUSED = "reused"  # finished already, or by another run meanwhile
    LOCKED = "locked"  # another live process holds it and the run did not wait: nothing written
    INTERRUPTED = "interrupted"  # the run was stopped before the cell finished: nothing written
    DEFERRED = "deferred"  # not started: it would not finish before --stop-after

"""Resource limits a cell runs under: one math thread, and (if asked) a memory cap.

Applied in the process that computes the cell (a local child or a Dask worker), so a
cell's numbers do not depend on how many cells run beside it and a memory hog fails
only its own cell.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["limit_threads", "limit_memory", "restore_memory", "warm_thread_controller"]

#: threadpoolctl's controller of the libraries loaded when it was built, and those libraries
#: (see :func:`warm_thread_controller`); None until then.
_WARM: tuple | None = None

#: ``n``, the number of imported modules and the loaded libraries at the last
#: :func:`limit_threads` call in this process.
_LIMITED: tuple | None = None


def _shared_objects() -> frozenset[str] | None:
    """The shared libraries mapped into this process (Linux; None elsewhere): ~1-3 ms."""
    try:
        with open("/proc/self/maps") as maps:
            return frozenset(line.split()[-1] for line in maps if ".so" in line)
    except OSError:  # pragma: no cover - not Linux
        return None


def warm_thread_controller() -> None:
    """Find the loaded BLAS/OpenMP libraries now, once, for the children forked later.

    threadpoolctl's scan of ~220 libraries costs 20-60 ms a cell (cProfile of 65 children);
    the cells' forkserver does it before forking, and a child that has loaded no library
    since then reuses the result.
    """
    global _WARM
    from threadpoolctl import ThreadpoolController

    _WARM = (ThreadpoolController(), _shared_objects())


def limit_threads(n: int) -> None:
    """Cap BLAS/OpenMP threads in this process to ``n`` and torch's to one.

    The suite's networks are small MLPs: a second torch thread only adds synchronisation
    (measured 10-25x slower fits on a loaded 2-core machine), so parallelism comes from
    running cells side by side instead. A warm worker calls this before every task: when
    the loaded libraries and ``n`` are those of its last call, the BLAS/OpenMP limits are
    not set again (a threadpoolctl scan costs 4-8 ms a call).
    """
    global _LIMITED
    from threadpoolctl import ThreadpoolController

    # Reading /proc/self/maps costs ~4 ms: when no module was imported since the last
    # call (no new extension, so no new BLAS/OpenMP library), the last answer stands.
    if _LIMITED is None or _LIMITED[:2] != (n, len(sys.modules)):
        loaded = _shared_objects()
        if loaded is None or _LIMITED is None or _LIMITED[::2] != (n, loaded):
            warm = _WARM
            same = warm is not None and warm[1] is not None and warm[1] == loaded
            (warm[0] if same else ThreadpoolController()).limit(limits=n)
        _LIMITED = (n, len(sys.modules), loaded)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        pass
    return 0


def limit_memory(nbytes: int) -> int | None:
    """Let this process allocate at most ``nbytes`` more address space (``RLIMIT_AS``).

    Only the soft limit is lowered; returns the previous soft limit (None if unsupported).
    An allocation beyond it raises ``MemoryError`` instead of exhausting the machine.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    new = _vm_size() + int(nbytes)
    if hard != resource.RLIM_INFINITY:
        new = min(new, hard)
    resource.setrlimit(resource.RLIMIT_AS, (new, hard))
    return soft


def restore_memory(soft: int | None) -> None:
    """Put back the soft address-space limit :func:`limit_memory` returned."""
    if soft is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1]))

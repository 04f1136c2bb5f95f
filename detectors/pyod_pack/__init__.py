"""The baseline pack: modern PyOD baselines (group ``extended``), one module each.

Importing this package registers them all (modules are discovered, as in ``detectors``);
``wrapper`` holds the code they share and ``generic`` the ``--detectors pyod:Class`` way
to run any other PyOD detector. Methods, sources and budgets: docs/methods/pyod-pack.md.
"""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

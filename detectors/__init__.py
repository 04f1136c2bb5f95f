"""The built-in detectors, one module each; importing this package registers them all.

Modules are discovered rather than listed, so adding ``detectors/my_method.py`` with a
``@register_detector`` class is all it takes to add a built-in detector. A package of
detectors (``pyod_pack``) registers its own modules when imported; ``neural`` is the
shared toolkit and registers nothing.
"""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

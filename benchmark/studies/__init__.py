"""Studies built on the harness: each reruns a comparison and writes a committed report.

:data:`STUDIES` names each study the command line offers (``--study NAME``) with a
one-line description; the code lives in the submodules.
"""

from __future__ import annotations

__all__ = ["STUDIES"]

#: ``--study`` choices and what each writes.
STUDIES: dict[str, str] = {
    "mmoc-design": "MMOC-GAN's core design switches: AUROC per variant, where the"
    " generated rows land, and a heavy-tailed 2-D toy; --output is the report's .md path"
    " (default results/studies/mmoc-gan-design.md)",
    "contamination": "AUROC of every detector with 0, 1, 5 and 10 %% anomalies leaked into"
    " training (--detectors, --datasets: default all); --output is the report's .md path"
    " (default results/studies/contamination.md)",
}

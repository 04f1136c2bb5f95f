"""Text tables: the one ``mean ± std`` formatter, a bold-best mask, and a :class:`Table`.

Every table of the suite (the paper's Table 1 and Table 2, the report's matrices, the
studies) formats a mean over folds or seeds with :func:`format_mean_std` (from a mean
and a std) or :func:`mean_std_of_values` (from the values themselves), so they all read
alike. A :class:`Table` keeps text cells and a bold mask apart, so one table renders
to markdown (``**x**``), HTML (``<b>x</b>``), LaTeX (``\\textbf{x}``) and CSV alike.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tabulate import tabulate

from benchmark.atomic import atomic_write_text

__all__ = [
    "Table",
    "below_chance_mark",
    "bold_best",
    "mean_std_of_values",
    "format_mean_std",
    "latex_escape",
    "write_table",
]


def format_mean_std(
    mean: float, std: float, n: int | None = None, n_expected: int | None = None, digits: int = 3
) -> str:
    """``mean ± std`` with ``digits`` decimals, ``(n/N)`` when ``n`` of ``N`` values made it.

    A non-finite ``std`` (a single value has no spread) reads 0; a non-finite mean ``n/a``.
    """
    if not np.isfinite(mean):
        text = "n/a"
    else:
        std = float(std) if np.isfinite(std) else 0.0
        text = f"{mean:.{digits}f} ± {std:.{digits}f}"
    if n is not None and n_expected is not None and n < n_expected:
        text += f" ({n}/{n_expected})"
    return text


def mean_std_of_values(values: pd.Series, n_expected: int | None = None, digits: int = 3) -> str:
    """``mean ± std`` over the finite values; notes missing folds; ``failed`` if none.

    No value at all reads ``failed``; values none of which is finite (e.g. AUROC of test
    rows without anomalies) read ``n/a``.
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return "n/a" if len(v) else "failed"
    std = finite.std(ddof=1) if finite.size > 1 else 0.0
    return format_mean_std(finite.mean(), std, finite.size, n_expected, digits)


def below_chance_mark(n_below: int, chance: float = 0.5) -> str:
    """`` (k < 0.5)`` after a ``mean ± std`` cell when k folds scored below ``chance``;
    ``""`` when none did, so the usual cell is unchanged."""
    return f" ({int(n_below)} < {chance:g})" if n_below > 0 else ""


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
    "<": r"$<$",  # text-mode < and > print as ¡ and ¿ in LaTeX's default font encoding
    ">": r"$>$",
}


def latex_escape(text: str) -> str:
    r"""``text`` safe inside a LaTeX table cell (``my_data`` -> ``my\_data``, ± -> $\pm$)."""
    return "".join(_LATEX.get(ch, ch) for ch in str(text))


def bold_best(values: np.ndarray, higher_is_better: bool = True, atol: float = 1e-12) -> np.ndarray:
    """Mask of the best finite value(s) in each column of ``values`` (rows x columns)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return np.zeros_like(v, dtype=bool)
    signed = v if higher_is_better else -v
    with np.errstate(invalid="ignore"):
        best = np.where(np.isfinite(signed), signed, -np.inf).max(axis=0)
    return np.isfinite(signed) & np.isfinite(best) & (np.abs(signed - best) <= atol)


@dataclass
class Table:
    """Rows of text cells, a parallel bold mask, a caption and an optional note.

    ``frame``, when given, is the table's CSV form where it differs from the text cells
    (e.g. a count kept in its own integer column instead of a suffix in a cell).
    """

    title: str
    headers: list[str]
    rows: list[list[str]]
    bold: list[list[bool]] = field(default_factory=list)
    note: str = ""
    frame: pd.DataFrame | None = None

    def _cells(self, wrap: Callable[[str], str]) -> list[list[str]]:
        bold = self.bold or [[False] * len(r) for r in self.rows]
        return [[wrap(c) if b else c for c, b in zip(r, br)] for r, br in zip(self.rows, bold)]

    def to_markdown(self) -> str:
        """GitHub markdown, bold cells as ``**x**``."""
        return tabulate(
            self._cells(lambda c: f"**{c}**"),
            headers=self.headers,
            tablefmt="github",
            disable_numparse=True,
        )

    def to_html(self) -> str:
        """An HTML ``<table>``, text escaped, bold cells as ``<b>x</b>``."""
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.headers)
        bold = self.bold or [[False] * len(r) for r in self.rows]
        body = []
        for row, brow in zip(self.rows, bold):
            tds = [
                f"<td><b>{html.escape(c)}</b></td>" if b else f"<td>{html.escape(c)}</td>"
                for c, b in zip(row, brow)
            ]
            body.append("<tr>" + "".join(tds) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"

    def to_latex(self) -> str:
        """A LaTeX tabular after a ``% title`` line, cells escaped, bold as ``\\textbf``."""
        bold = self.bold or [[False] * len(r) for r in self.rows]
        cells = [
            [f"\\textbf{{{latex_escape(c)}}}" if b else latex_escape(c) for c, b in zip(r, br)]
            for r, br in zip(self.rows, bold)
        ]
        headers = [latex_escape(h) for h in self.headers]
        text = tabulate(cells, headers=headers, tablefmt="latex_raw", disable_numparse=True)
        return f"% {self.title}\n" + text

    def to_frame(self) -> pd.DataFrame:
        """The CSV form: ``frame`` if set, else the text cells as a data frame (no bold)."""
        if self.frame is not None:
            return self.frame.copy()
        return pd.DataFrame(self.rows, columns=self.headers)


def write_table(table: Table, folder: Path, stem: str) -> dict[str, Path]:
    """Write ``table`` as ``stem``.md/.csv/.tex under ``folder``; the paths by format."""
    folder = Path(folder)
    paths = {ext: folder / f"{stem}.{ext}" for ext in ("md", "csv", "tex")}
    md = f"# {table.title}\n\n{table.to_markdown()}\n" + (f"\n{table.note}\n" if table.note else "")
    atomic_write_text(paths["md"], md)
    atomic_write_text(paths["csv"], table.to_frame().to_csv(index=False))
    atomic_write_text(paths["tex"], table.to_latex() + "\n")
    return paths

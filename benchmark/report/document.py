"""A tiny document model rendered to markdown and to self-contained HTML.

The report is built once as a list of blocks (headings, paragraphs, tables, images) and
rendered twice, so ``report.md`` and ``report.html`` always say the same thing. HTML
embeds every image as base64 and keeps relative links to the table files.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.report.text_table import Table

__all__ = ["Document"]

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.86em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;white-space:nowrap}
th{background:#f2f2f2} tr:nth-child(even) td{background:#fafafa}
img{max-width:100%;border:1px solid #eee} code{background:#f4f4f4;padding:0 .2em}
figure{margin:1em 0} figcaption{font-size:.9em;color:#444}
.note{color:#8a4b00}
"""


def _inline_html(text: str) -> str:
    """Escape, then the markdown subset the report uses: **bold**, `code`, [a](b)."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"`(.+?)`", r"<code>\1</code>", out)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', out)


@dataclass
class Document:
    """Blocks of a report; paths of images and links are relative to ``root``."""

    root: Path
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", level, text))

    def para(self, text: str) -> None:
        self.blocks.append(("p", text))

    def note(self, text: str) -> None:
        self.blocks.append(("note", text))

    def bullets(self, items: list[str]) -> None:
        self.blocks.append(("ul", list(items)))

    def table(self, table: Table, links: dict[str, Path] | None = None) -> None:
        self.blocks.append(("table", table, links or {}))

    def image(self, path: Path, caption: str) -> None:
        self.blocks.append(("img", Path(path), caption))

    def _rel(self, path: Path) -> str:
        return Path(path).resolve().relative_to(Path(self.root).resolve()).as_posix()

    def _links(self, links: dict[str, Path]) -> str:
        return " · ".join(f"[{ext}]({self._rel(p)})" for ext, p in links.items())

    def markdown(self) -> str:
        out: list[str] = []
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                out += ["#" * block[1] + " " + block[2], ""]
            elif kind == "p":
                out += [block[1], ""]
            elif kind == "note":
                out += [f"> **Note.** {block[1]}", ""]
            elif kind == "ul":
                out += [f"- {item}" for item in block[1]] + [""]
            elif kind == "table":
                table, links = block[1], block[2]
                out += [f"**{table.title}**" + (f" ({self._links(links)})" if links else ""), ""]
                out += [table.to_markdown(), ""]
                if table.note:
                    out += [table.note, ""]
            elif kind == "img":
                rel = self._rel(block[1])
                pdf = Path(rel).with_suffix(".pdf").as_posix()
                out += [f"![{block[2]}]({rel})", "", f"*{block[2]}* ([PDF]({pdf}))", ""]
        return "\n".join(out)

    def html(self, title: str) -> str:
        out = [
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{_CSS}</style></head><body>"
        ]
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                out.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
            elif kind == "p":
                out.append(f"<p>{_inline_html(block[1])}</p>")
            elif kind == "note":
                out.append(f"<p class='note'><b>Note.</b> {_inline_html(block[1])}</p>")
            elif kind == "ul":
                out.append(
                    "<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in block[1]) + "</ul>"
                )
            elif kind == "table":
                table, links = block[1], block[2]
                extra = f" ({_inline_html(self._links(links))})" if links else ""
                out.append(f"<p><b>{html.escape(table.title)}</b>{extra}</p>{table.to_html()}")
                if table.note:
                    out.append(f"<p>{_inline_html(table.note)}</p>")
            elif kind == "img":
                data = base64.b64encode(Path(block[1]).read_bytes()).decode("ascii")
                rel = self._rel(Path(block[1]).with_suffix(".pdf"))
                out.append(
                    f"<figure><img alt='{html.escape(block[2])}' src='data:image/png;base64,"
                    f"{data}'><figcaption>{_inline_html(block[2])} (<a href='{rel}'>PDF</a>)"
                    "</figcaption></figure>"
                )
        out.append("</body></html>")
        return "\n".join(out)

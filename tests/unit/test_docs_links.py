"""The README, the CHANGELOG and the docs site hold together: every relative link resolves.

Checked without network and without building the site: each relative link or image in
``README.md``, ``CHANGELOG.md`` and ``docs/**/*.md`` names an existing file (and, for a
``#anchor`` into a Markdown page, a heading of that page); a docs page links only inside
``docs/`` (``mkdocs build --strict`` rejects anything else); every docs page is in the
``nav`` of ``mkdocs.yml``; the README stays a product page of at most 200 lines. External
``http(s)``/``mailto`` links are not checked. ``make docs`` builds the site itself; the
last test builds it too when MkDocs is installed (about a second).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README_MAX_LINES = 200

# [text](target) and ![alt](target), with an optional "title"; the text may hold `code`.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"\{[^}]*#([\w-]+)[^}]*\}\s*$")
EXTERNAL = ("http://", "https://", "mailto:", "ftp://")


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _checked_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CHANGELOG.md", *_pages()]


def _prose_lines(text: str, blank_code: bool = True) -> list[str]:
    """The lines outside fenced code blocks, with inline code spans blanked out (or kept)."""
    lines, fence = [], None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(2)[0] * len(match.group(2))
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        lines.append(INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line) if blank_code else line)
    return lines


def links(path: Path) -> list[str]:
    """Every link target in the file's prose, in order."""
    return [m.group(1) for line in _prose_lines(path.read_text()) for m in LINK.finditer(line)]


def slugify(text: str) -> str:
    """Python-Markdown's ``toc`` slug (what MkDocs uses for heading ids)."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def github_slug(text: str) -> str:
    """GitHub's heading anchor, for the README and CHANGELOG read on GitHub."""
    value = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return value.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The ids a link may name in ``path``: every heading's, in both slug styles."""
    found: set[str] = set()
    for line in _prose_lines(path.read_text(), blank_code=False):
        match = HEADING.match(line)
        if not match:
            continue
        title = match.group(2)
        explicit = EXPLICIT_ID.search(title)
        if explicit:
            found.add(explicit.group(1))
            title = title[: explicit.start()]
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link keeps its text
        title = title.replace("`", "").replace("*", "")
        base = slugify(title)
        found.update({base, github_slug(title)})
        found.update(f"{base}_{i}" for i in range(1, 10))  # duplicate headings
    return found


def broken_links(path: Path) -> list[str]:
    """One line per link in ``path`` that does not resolve."""
    problems = []
    in_docs = DOCS in path.parents
    for target in links(path):
        if target.startswith(EXTERNAL):
            continue
        file_part, _, anchor = target.partition("#")
        if file_part.startswith("/"):
            problems.append(f"{target}: absolute path (use a relative link)")
            continue
        resolved = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)} -> {target}"
        if not resolved.exists():
            problems.append(f"{where}: no such file")
            continue
        if in_docs and DOCS not in resolved.parents and resolved != DOCS:
            problems.append(f"{where}: outside docs/ (name the path in `code` instead)")
            continue
        if in_docs and resolved.is_dir():
            problems.append(f"{where}: a folder (link a page)")
            continue
        if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{where}: no heading with the anchor #{anchor}")
    return problems


def _nav_pages(node) -> list[str]:
    """Every page path in a ``nav`` tree of mkdocs.yml."""
    if isinstance(node, str):
        return [] if node.startswith(EXTERNAL) else [node]
    if isinstance(node, list):
        return [p for item in node for p in _nav_pages(item)]
    if isinstance(node, dict):
        return [p for value in node.values() for p in _nav_pages(value)]
    return []


def _mkdocs_config() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text())


# -- the tests ----------------------------------------------------------------------------


def test_the_checker_finds_links_and_ignores_code():
    text = (
        "See [a](x.md), ![img](pic.png) and [`code`](y.md#part).\n"
        "Not `[this](inline.md)`.\n```\n[nor](fenced.md)\n```\n"
        '[ext](https://example.org) [t](z.md "title")\n'
    )
    assert [m.group(1) for line in _prose_lines(text) for m in LINK.finditer(line)] == [
        "x.md",
        "pic.png",
        "y.md#part",
        "https://example.org",
        "z.md",
    ]
    assert slugify("The fault-injection kit (benchmark/faults/)") == (
        "the-fault-injection-kit-benchmarkfaults"
    )
    assert slugify("OCAN's code or the paper's equations") == "ocans-code-or-the-papers-equations"


@pytest.mark.parametrize("path", _checked_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    assert broken_links(path) == []


def test_readme_is_a_product_page():
    text = (ROOT / "README.md").read_text()
    n_lines = len(text.splitlines())
    assert n_lines <= README_MAX_LINES, f"README.md has {n_lines} lines (at most 200)"
    start, end = text.find("<!-- headline:start -->"), text.find("<!-- headline:end -->")
    assert 0 <= start < end, "the headline table sits between its two markers"
    assert "results/paper/" in text[start:end], "the headline links results/paper/"


def test_every_docs_page_is_in_the_nav():
    config = _mkdocs_config()
    assert config.get("docs_dir", "docs") == "docs"
    nav = _nav_pages(config.get("nav", []))
    missing_files = [page for page in nav if not (DOCS / page).is_file()]
    assert missing_files == [], f"nav names pages that do not exist: {missing_files}"
    pages = {p.relative_to(DOCS).as_posix() for p in _pages()}
    excluded = str(config.get("exclude_docs") or "").split()
    pages = {p for p in pages if not any(p.startswith(x.rstrip("*")) for x in excluded)}
    not_in_nav = sorted(pages - set(nav) - set(str(config.get("not_in_nav") or "").split()))
    assert not_in_nav == [], f"pages missing from mkdocs.yml's nav: {not_in_nav}"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs not installed")
def test_the_site_builds_strictly(tmp_path):
    if importlib.util.find_spec("material") is None:
        pytest.skip("mkdocs-material not installed")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "index.html").exists()

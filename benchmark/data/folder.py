"""``--data-dir``: every data file of a folder as a data set named after its file stem.

Each file is read and checked as ``--data-file`` reads one (:func:`load_user_file`). A
file that cannot be used is left out with one line naming it and the problem, and the
other files run. Names must be unambiguous: two files with the same stem (``a.csv`` and
``a.npz``) are both left out, and so is a file whose stem is already a data set's name
(a bundled set, or ``--data-file``'s), each with its line; rename the file to use it.
Only the folder itself is read (not its subfolders); hidden files (``.name``, such as
macOS's ``._x.npz``) and files of other types are ignored and counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.data.dataset import DataError, Dataset
from benchmark.data.files import SUFFIXES, load_user_file

__all__ = ["FolderData", "load_data_dir"]


@dataclass
class FolderData:
    """The usable data sets of a folder, one line per unusable file, and what was ignored."""

    folder: Path
    datasets: dict[str, Dataset] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _candidates(folder: Path) -> tuple[list[Path], list[str]]:
    """The data files of ``folder`` (sorted by name) and the names of the other entries."""
    files, ignored = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            files.append(path)
        else:
            ignored.append(path.name)
    return files, ignored


def load_data_dir(
    folder: str | Path,
    label_column: str = "y",
    normal_label: str | None = None,
    sep: str | None = None,
    taken: Iterable[str] = (),
    check: Callable[[Dataset], None] | None = None,
) -> FolderData:
    """Load every ``.npz``, ``.csv`` and ``.parquet`` file of ``folder``.

    ``taken``: names already in use (the registered data sets, ``--data-file``'s).
    ``check``: a further test of each loaded set (the run's protocol) raising DataError.
    A folder that is missing or holds no data file is a DataError; a bad file is not.
    """
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"--data-dir {folder}: no such folder")
    if not folder.is_dir():
        raise DataError(f"--data-dir {folder}: not a folder (for one file use --data-file)")
    try:
        files, ignored = _candidates(folder)
    except OSError as exc:
        raise DataError(f"--data-dir {folder}: cannot list it ({exc.strerror or exc})") from None
    if not files:
        raise DataError(
            f"--data-dir {folder}: no {', '.join(SUFFIXES)} file in it"
            + (f" ({len(ignored)} other entries ignored)" if ignored else "")
        )
    out = FolderData(folder, ignored=ignored)
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        by_stem[path.stem].append(path)
    taken = set(taken)
    for path in files:
        others = [p.name for p in by_stem[path.stem] if p != path]
        if others:
            out.problems.append(
                f"{path}: its data set name {path.stem!r} is also that of {', '.join(others)};"
                " rename all but one of them"
            )
            continue
        if path.stem in taken:
            out.problems.append(
                f"{path}: its data set name {path.stem!r} is already a data set's (bundled or"
                " --data-file); rename the file"
            )
            continue
        try:
            ds = load_user_file(path, label_column, normal_label, sep)
            if check is not None:
                check(ds)
        except DataError as exc:
            message = _one_line(str(exc))
            out.problems.append(message if message.startswith(str(path)) else f"{path}: {message}")
            continue
        except (OSError, ValueError, TypeError) as exc:  # not foreseen by the loaders
            out.problems.append(f"{path}: cannot be read ({type(exc).__name__}: {_one_line(exc)})")
            continue
        out.datasets[ds.name] = ds
    return out

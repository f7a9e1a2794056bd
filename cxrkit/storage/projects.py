"""Finding the two PhysioNet projects of a copy: MIMIC-CXR and MIMIC-CXR-JPG, side by side as ``wget``
leaves them.

A researcher's download is ``physionet.org/files/mimic-cxr/<release>/`` beside
``physionet.org/files/mimic-cxr-jpg/<release>/``. :func:`find_projects` accepts the folder above the projects,
either project's folder (with or without its release folder; the sibling is found where PhysioNet puts it),
and answers ``{}`` for any other folder (a single root holding everything, as older copies and demos do).

Examples
--------
>>> import pathlib, tempfile
>>> top = pathlib.Path(tempfile.mkdtemp())
>>> for d in ("mimic-cxr/2.0.0", "mimic-cxr/2.1.0", "mimic-cxr-jpg/2.1.0"):
...     (top / d).mkdir(parents=True)
>>> {name: str(path.relative_to(top)) for name, path in find_projects(top).items()}
{'mimic-cxr': 'mimic-cxr/2.1.0', 'mimic-cxr-jpg': 'mimic-cxr-jpg/2.1.0'}
>>> sorted(find_projects(top / "mimic-cxr" / "2.1.0"))  # a project's folder finds its sibling
['mimic-cxr', 'mimic-cxr-jpg']
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import layout
from ..errors import NotADatasetError

__all__ = ["did_you_mean", "find_projects", "releases"]


def releases(project_dir: str | os.PathLike) -> list[str]:
    """The release folders (``2.0.0``, ``2.1.0``, ...) of a project folder, oldest first."""
    try:
        names = [e.name for e in os.scandir(project_dir) if e.is_dir() and layout.release_key(e.name)]
    except OSError:
        return []
    return sorted(names, key=layout.release_key)


def _release(project_dir: Path, release: str | None, *, want: str | None = None) -> Path | None:
    found = releases(project_dir)
    if release is not None:
        if release not in found:
            raise NotADatasetError(
                f"{project_dir} has no release {release} (it has: {', '.join(found) or 'none'}); "
                "pass one of those, or leave release= out for the newest"
            )
        return project_dir / release
    if want in found:  # the sibling of a project's release folder: the same release when it has it
        return project_dir / want
    return project_dir / found[-1] if found else None


def find_projects(root: str | os.PathLike, *, release: str | None = None) -> dict[str, Path]:
    """The project folders of a copy, by project name (``mimic-cxr``, ``mimic-cxr-jpg``); ``{}`` when ``root``
    is neither the folder above the projects nor one project's folder.

    Parameters
    ----------
    root
        ``physionet.org/files`` (or any folder holding ``mimic-cxr/`` and/or ``mimic-cxr-jpg/``), a project
        folder (``.../mimic-cxr``) or a project's release folder (``.../mimic-cxr/2.1.0``).
    release
        The release to open (default: the newest each project has; a release folder given as ``root`` keeps
        its own, and its sibling is taken at the same release when it has it).
    """
    root = Path(root)
    found: dict[str, Path] = {}
    if any((root / layout.FILES_DIR / name).is_dir() for name in layout.PROJECTS):  # physionet.org itself
        return find_projects(root / layout.FILES_DIR, release=release)
    if any((root / name).is_dir() for name in layout.PROJECTS):  # the folder above the projects
        for name in layout.PROJECTS:
            if (root / name).is_dir():
                path = _release(root / name, release)
                if path is not None:
                    found[name] = path
        return found
    own, top, at = None, None, None
    if root.name in layout.PROJECTS:  # a project's folder, without its release
        path = _release(root, release)
        if path is None:
            return {}
        own, top, at = root.name, root.parent, path.name
        found[own] = path
    elif layout.release_key(root.name) and root.parent.name in layout.PROJECTS:  # a release folder
        own, top, at = root.parent.name, root.parent.parent, root.name
        found[own] = root
    else:
        return {}
    for name in layout.PROJECTS:
        if name != own and (top / name).is_dir():
            sibling = _release(top / name, None, want=at)
            if sibling is not None:
                found[name] = sibling
    return found


def _looks_like_a_copy(folder: Path) -> bool:
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    tables = any(layout.find_table_file(names, t) for t in layout.TABLE_FILES)
    return tables or layout.FILES_DIR in names or any(n in layout.PROJECTS for n in names)


def did_you_mean(root: str | os.PathLike) -> Path | None:
    """A folder one level above or below ``root`` that holds a copy, for a root that does not: the parent of
    a ``files/`` folder, or the one sub-folder that looks like a copy (a demo's parent, a download's top).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> top = pathlib.Path(tempfile.mkdtemp())
    >>> (top / "copy" / "files" / "p10").mkdir(parents=True)
    >>> did_you_mean(top / "copy" / "files") == top / "copy", did_you_mean(top) == top / "copy"
    (True, True)
    """
    root = Path(root)
    if root.name == layout.FILES_DIR and _looks_like_a_copy(root.parent):
        return root.parent
    try:
        subs = [e.path for e in os.scandir(root) if e.is_dir()]
    except OSError:
        return None
    copies = [Path(p) for p in subs if _looks_like_a_copy(Path(p))]
    return copies[0] if len(copies) == 1 else None

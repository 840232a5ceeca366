"""Where the source files go: their names inside an archive and on the importing machine.

An archive carries a file under its path relative to the folder all the exported files
share (``files/2023 Q1 AAPL.pdf``, or ``files/reports/2023 Q1 AAPL.pdf`` when they came
from several folders), so the folder layout survives and equal names in different
folders do not collide.  On import the names are checked before anything is written
(no absolute paths, no ``..``: an archive must not write outside its folder), and the
files land in a folder of their own per knowledge base, ``<data folder>/files/<name>``.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path, PurePosixPath

from ingest.archive.layout import FILES

_UNSAFE = re.compile(r"[^\w .()+,-]+", re.UNICODE)
STAGING_PREFIX = ".importing-"


def member_names(paths: list[str]) -> dict[str, str]:
    """Archive member names for absolute file paths: each relative to their common
    folder, in POSIX form under ``files/``."""
    if not paths:
        return {}
    parents = [str(Path(p).parent) for p in paths]
    common = Path(os.path.commonpath(parents)) if len(set(parents)) > 1 else Path(parents[0])
    out = {}
    for p in paths:
        rel = Path(p).relative_to(common)
        out[p] = FILES + PurePosixPath(*rel.parts).as_posix()
    return out


def safe_relative(member: str) -> PurePosixPath | None:
    """The path below the knowledge base's folder for a ``files/...`` member; None for a
    name that would leave it (absolute, ``..``, a drive) or is not a file member."""
    if not member.startswith(FILES) or "\\" in member or "\x00" in member:
        return None
    rel = PurePosixPath(member[len(FILES):])
    if not rel.parts or rel.is_absolute() or any(part in ("", ".", "..") or ":" in part
                                                 for part in rel.parts):
        return None
    return rel


def folder_name(kb_name: str) -> str:
    """A folder name for a knowledge base's files that every file system accepts."""
    name = _UNSAFE.sub("_", kb_name).strip(" .") or "knowledge base"
    return name[:64]


def final_folder(files_dir: Path, kb_name: str) -> Path:
    """``files_dir/<name>``, or ``<name> (2)`` ... when that is taken (by the files of a
    knowledge base deleted earlier, say: never mix two imports' files)."""
    base = folder_name(kb_name)
    candidate = files_dir / base
    n = 2
    while candidate.exists():
        candidate = files_dir / f"{base} ({n})"
        n += 1
    return candidate


def staging_folder(files_dir: Path) -> Path:
    """A hidden folder to extract into, named for this process: renamed into place only
    when the import is complete."""
    return files_dir / f"{STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"


def remove_stale_staging(files_dir: Path, alive) -> None:
    """Remove the staging folders of imports whose process is gone (``alive(pid)``)."""
    if not files_dir.is_dir():
        return
    for entry in files_dir.iterdir():
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir():
            continue
        try:
            pid = int(entry.name[len(STAGING_PREFIX):].split("-", 1)[0])
        except ValueError:
            continue
        if not alive(pid):
            shutil.rmtree(entry, ignore_errors=True)

"""Where the source files go: their names inside an archive and on the importing machine.

An archive carries a file under its path relative to the folder all the exported files
share (``files/2023 Q1 AAPL.pdf``, or ``files/reports/2023 Q1 AAPL.pdf`` when they came
from several folders), so the folder layout survives and equal names in different
folders do not collide.  On import the names are checked before anything is written
(no absolute paths, no ``..``: an archive must not write outside its folder), and the
files land in a folder of their own per knowledge base, ``<data folder>/files/<name>``,
extracted first into a staging folder inside the store (``Library.import_staging``) that
the next start of the library clears if the import was killed.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path, PurePosixPath

from ingest.archive.layout import FILES

_UNSAFE = re.compile(r"[^\w .()+,-]+", re.UNICODE)


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


def staging_folder(root: Path) -> Path:
    """A folder under ``root`` to extract into, named for this process: moved into place
    only when the import is complete (the library's next start clears what a killed
    import left: ``Library._remove_stale_import_files``)."""
    return root / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


def move_into_place(staging: Path, final: Path) -> None:
    """Rename the extracted files' folder to its final place (copy, then remove, when
    the two are on different file systems)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(staging, final)
    except OSError:
        if final.exists():
            raise
        try:
            shutil.copytree(staging, final, copy_function=shutil.copy2)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)  # a partial copy is ours to remove
            raise
        shutil.rmtree(staging, ignore_errors=True)


"""Atomic file writing: a report file is either the whole new one or absent, never half or old."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` under a temporary name in the same folder, then rename it over `path`, so a
    reader (or a failure half-way) never sees a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("xb") as out:
            out.write(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def unwritable(path: Path, directory: bool = False) -> str:
    """Why a report could not be written at `path` (a folder with `directory`), found before
    the run rather than after it; '' when it can. Missing folders are made, as writing would."""
    folder = path if directory else path.parent
    try:
        if not directory and path.is_dir():
            return "it is a folder"
        if directory and path.exists() and not path.is_dir():
            return "it is a file, not a folder"
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".conformance-probe-{uuid.uuid4().hex}"
        probe.open("xb").close()
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def remove_stale(path: Path) -> str:
    """Remove what an earlier run left at `path`; say why not when that fails ('' when it went)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        return f"the earlier {path} could not be removed either ({exc.strerror or exc})"
    return ""

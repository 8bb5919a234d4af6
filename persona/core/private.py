"""Files only the user can read: the data folder (0700) and what Persona writes (0600).

Research data, personas, logs and exports stay private to the account that made them, on a
computer other people also use. Every file Persona creates goes through this module: a
folder is made (or tightened) to owner-only, a file is created owner-only from its first
byte (never created readable and tightened afterwards), and a new file never replaces one
that exists. On Windows the permission bits are ignored; files there inherit the
per-user folder's access list.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from persona.core.errors import InputError

DIR_MODE = 0o700
FILE_MODE = 0o600
_MAX_NUMBERED = 10_000
"""How many numbered alternatives (``name-2.json``...) are tried before giving up."""


def private_dir(path: Path) -> Path:
    """``path`` created if needed, with every folder Persona creates for it owner-only.

    An existing folder is tightened to owner-only when it belongs to this user: it is the
    data folder, which must not be readable by other accounts.
    """
    path = Path(path)
    missing = []
    for parent in (path, *path.parents):
        if parent.exists():
            break
        missing.append(parent)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:  # mkdir's parents get the umask's mode, not ``mode``
        _tighten(created, DIR_MODE)
    _tighten(path, DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Make an existing file owner-only (read and write), when this user owns it."""
    _tighten(Path(path), FILE_MODE)


def ensure_private_file(path: Path) -> None:
    """``path`` exists (empty if it did not) and is owner-only, before anything is written."""
    path = Path(path)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    private_file(path)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, owner-only (settings and other state).

    The data goes to a private temporary file in the same folder first, so a crash leaves
    the old file or the new one, never half of either.
    """
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:  # mkstemp creates the file 0600
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def append_private(path: Path, text: str) -> None:
    """Append ``text`` to ``path`` (a log), creating it owner-only."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    with os.fdopen(fd, "a", encoding="utf-8") as file:
        file.write(text)
    private_file(path)


def save_new(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a new owner-only file in ``folder``; never replaces an existing file.

    ``name`` is taken when free, else ``stem-2.ext``, ``stem-3.ext``... The name is claimed
    atomically (``O_EXCL``), so two processes saving at once get two files.
    """
    folder = Path(folder)
    base = Path(name)
    if base.name != name or name in ("", ".", ".."):
        raise InputError(f"{name!r} is not a plain file name.")
    for number in range(1, _MAX_NUMBERED + 1):
        candidate = folder / (name if number == 1 else f"{base.stem}-{number}{base.suffix}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        return candidate
    raise InputError(
        f"{folder} already holds {_MAX_NUMBERED:,} files named like {name}: "
        "choose another folder with --out."
    )


def check_writable_dir(folder: Path) -> Path:
    """``folder`` exists (created if needed) and new files can be made in it; else InputError.

    Meant for output folders, checked before any long work so a typo costs nothing.
    """
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file, not a folder: choose a folder with --out.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise InputError(
            f"Cannot write to {folder} ({exc.strerror or exc}): choose a folder you can "
            "write to with --out."
        ) from exc
    return folder


def _tighten(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it is ours and looser; silently skipped where unsupported."""
    with contextlib.suppress(OSError):
        info = path.stat()
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return
        if stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(mode)

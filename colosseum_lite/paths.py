"""Checks of user-given paths that touch nothing: names no file system takes, and folders that
could be created and written. The CLI and the store call them before any work."""

from __future__ import annotations

import os
from pathlib import Path

MAX_PATH_BYTES = 4096  # PATH_MAX on Linux
MAX_NAME_BYTES = 255  # NAME_MAX of common file systems


def check_path_text(path: str | os.PathLike[str], what: str) -> None:
    """Refuse path text no file system takes (empty, a NUL byte, not UTF-8, too long).

    Raises:
        ValueError: naming ``what`` and the fix.
    """
    text = os.fspath(path)
    if not text:
        raise ValueError(f"the {what} path is empty; pass a path")
    if "\x00" in text:
        raise ValueError(f"the {what} path {text!r} contains a NUL byte; pass a plain path")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"the {what} path {text!r} is not valid UTF-8; pass a plain path") from None
    if len(data) > MAX_PATH_BYTES or any(len(part.encode()) > MAX_NAME_BYTES for part in Path(text).parts):
        raise ValueError(f"the {what} path is too long ({len(text)} characters); pass a shorter path")


def check_creatable_dir(path: str | os.PathLike[str], what: str) -> Path:
    """Check, creating nothing, that ``path`` is a writable folder or could be created as one.

    Raises:
        ValueError: a bad name, a file or a broken link in the way, or no writable folder to
            create it in.
    """
    check_path_text(path, what)
    text, target = os.fspath(path), Path(path)
    try:
        existing = next((p for p in [target, *target.parents] if p.exists() or p.is_symlink()), Path("."))
        if existing.is_symlink() and not existing.exists():
            raise ValueError(f"cannot create {what} directory {text}: {existing} is a broken symbolic link; "
                             "pass another path")
        is_dir = existing.is_dir()
    except OSError as exc:
        raise ValueError(f"cannot use {what} directory {text} ({exc.strerror or exc}); pass another path") \
            from None
    if not is_dir:
        where = f"{text} is" if existing == target else f"{existing} is"
        raise ValueError(f"cannot create {what} directory {text}: {where} a file, not a directory; "
                         "pass another path")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{what} directory {text} is not writable ({existing} is read-only); "
                         "pass a writable path")
    return target

"""Writes that cannot lose a contributor's work: temp file + rename, no silent overwrite."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable


class WriteRefused(Exception):
    """The target exists, or changed under us: nothing was written."""


def _temp_beside(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.fmkb-tmp")


def _write_temp(path: str, data: bytes | Iterable[bytes]) -> str:
    tmp = _temp_beside(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in [data] if isinstance(data, bytes) else data:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def create_file(path: str, data: bytes) -> None:
    """Create `path` with `data` atomically; refuse if it exists (never overwrites)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = _write_temp(path, data)
    try:
        os.link(tmp, path)  # atomic, and fails if the path exists
    except FileExistsError:
        raise WriteRefused(f"{path} already exists; not overwriting it") from None
    finally:
        _unlink_quietly(tmp)


def replace_file(path: str, data: bytes, expected: bytes) -> None:
    """Replace `path` atomically, but only if it still holds `expected` (no lost updates)."""
    tmp = _write_temp(path, data)
    try:
        with open(path, "rb") as fh:
            current = fh.read()
        if current != expected:
            raise WriteRefused(f"{path} changed while fmkb was working; nothing written, try again")
        mode = os.stat(path).st_mode & 0o777
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        _unlink_quietly(tmp)


def write_atomic(path: str, data: bytes | Iterable[bytes]) -> None:
    """Write `path` atomically: a temp file beside it, created exclusively under a random
    name without following links, synced, then renamed over the target (a link planted
    at the target is replaced, never followed). `data` may come in chunks, so a large
    file is never held whole in memory."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    finally:
        _unlink_quietly(tmp)


def exchange(a: str, b: str) -> bool:
    """Swap two existing paths in one step (Linux's `renameat2` with RENAME_EXCHANGE), so
    that a reader of either name always finds one of the two; False, with nothing changed,
    where the system cannot (another OS, an old kernel or C library, two filesystems)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0

"""Cache files that only this machine's fmkb can have written.

A cache is an input a pull request could plant (a committed file, a folder restored
from elsewhere): caches therefore live outside the work tree by default, in the user's
cache folder under a name derived from the repository's path, and every cache file
carries an HMAC of its content under a key kept in that folder and never in a
repository. A file without a valid seal is ignored, as if there were no cache.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import os
import secrets
from typing import Any

from .fsutil import write_atomic

_SEAL = b"fmkb-cache-v1 "


def user_cache_root() -> str:
    """fmkb's folder in the user's cache directory (XDG_CACHE_HOME and the like)."""
    import platformdirs

    return platformdirs.user_cache_dir("fmkb", appauthor=False)


def default_dir(repository: str) -> str:
    """The cache folder of one repository: outside it, named by its real path."""
    name = hashlib.sha256(os.path.realpath(repository).encode()).hexdigest()[:16]
    return os.path.join(user_cache_root(), name)


@functools.cache
def _key(root: str) -> bytes:
    """This machine's cache key, created once (exclusively, readable by its owner only)."""
    os.makedirs(root, mode=0o700, exist_ok=True)
    path = os.path.join(root, "key")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    except FileExistsError:
        pass
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        key = fh.read()
    if len(key) != 32:
        raise OSError(f"{path} is not an fmkb cache key")
    return key


def _mac(data: bytes) -> bytes:
    return hmac.new(_key(user_cache_root()), data, hashlib.sha256).hexdigest().encode()


def write(path: str, text: str | list[str]) -> None:
    """Seal and write a cache file atomically; failing to cache is never an error. A large
    cache comes as a list of parts, encoded one at a time (twice: to seal, then to write)
    rather than joined, so writing it costs no second copy of it in memory."""
    parts = [text] if isinstance(text, str) else text
    mac = hmac.new(_key(user_cache_root()), digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part.encode("utf-8"))
    head = _SEAL + mac.hexdigest().encode() + b"\n"
    try:
        write_atomic(path, itertools.chain([head], (part.encode("utf-8") for part in parts)))
    except OSError:
        pass


def read(path: str) -> str | None:
    """The content of a cache file this machine wrote, or None (missing, foreign, edited)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        head, sep, data = raw.partition(b"\n")
        if not sep or not head.startswith(_SEAL):
            return None
        if not hmac.compare_digest(head[len(_SEAL) :], _mac(data)):
            return None
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def read_rows(path: str) -> dict[str, Any]:
    """A sealed cache file holding a JSON object: its members, or {} for anything else (missing,
    unsealed, not JSON, not an object). Each caller checks each row with its own decoder."""
    import json

    text = read(path)
    try:
        data = json.loads(text) if text is not None else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

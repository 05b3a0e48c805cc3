"""A content-hash cache of the parsed bibliography, so unchanged references.bib is not parsed again.

The cache is JSON (never pickle): a cache file is data, and a hostile one can at
worst mislead a check, never run code. Its name carries the SHA-256 of the
bibliography's bytes, fmkb's version and a digest of fmkb's code, so an edited file
(or an edited fmkb) is a cache miss.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os

from . import __version__, cachefile, code_digest
from .bibliography import BibEntry, Bibliography, parse_bibliography_bytes
from .diagnostics import from_rows, to_rows
from .fork import Worker, WorkerLost, call_aside, can_fork

KEEP = 3  # cache files kept; older ones are removed


def _path(cache_dir: str, digest: str) -> str:
    return os.path.join(cache_dir, f"bib-{__version__}-{code_digest()[:8]}-{digest[:32]}.json")


def to_json(bib: Bibliography, digest: str) -> str:
    return json.dumps(
        {
            "digest": digest,
            "path": bib.path,
            "entries": [[e.key, e.type, e.fields, e.line, e.field_lines] for e in bib.entries.values()],
            "diagnostics": to_rows(bib.diagnostics),
            "unparsed": bib.unparsed,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _str_map(value: object, kind: type) -> bool:
    """A dict from strings to `kind` (checked by type, at C speed: a bibliography has many)."""
    if not isinstance(value, dict):
        return False
    return set(map(type, value)) <= {str} and set(map(type, value.values())) <= {kind}


def from_json(text: str, digest: str) -> Bibliography | None:
    """The one decoder of the bibliography cache: every field checked, None for anything else."""
    try:
        data = json.loads(text)
        if data.get("digest") != digest:
            return None
        if not isinstance(data["path"], str) or not isinstance(data["entries"], list):
            return None
        bib = Bibliography(data["path"])
        for key, typ, fields, line, field_lines in data["entries"]:
            if not (isinstance(key, str) and isinstance(typ, str) and _str_map(fields, str) and isinstance(line, int)):
                return None
            if not _str_map(field_lines, int):
                return None
            bib.entries[key] = BibEntry(key, typ, dict(fields), line, dict(field_lines))
        bib.diagnostics.extend(from_rows(data["diagnostics"]))
        if not _str_map(data["unparsed"], int):
            return None
        bib.unparsed.update(data["unparsed"])
        return bib
    except (ValueError, KeyError, TypeError):
        return None  # unreadable or foreign: parse again


def digest_of(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def is_cached(cache_dir: str, digest: str) -> bool:
    return bool(cache_dir) and os.path.isfile(_path(cache_dir, digest))


def lookup(path: str, shown: str, cache_dir: str) -> tuple[Bibliography, str, str | None]:
    """(bibliography, digest, its cached JSON): from the cache, or parsed, and then the JSON
    is None and the caller saves it, when it has a moment (see `save`)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    digest = hashlib.sha256(raw).hexdigest()
    return _decoded_or_parsed(raw, digest, shown, cache_dir)


def _decoded_or_parsed(raw: bytes, digest: str, shown: str, cache_dir: str) -> tuple[Bibliography, str, str | None]:
    cache = _path(cache_dir, digest) if cache_dir else ""
    text = cachefile.read(cache) if cache else None
    if text is not None:
        bib = from_json(text, digest)
        if bib is not None and bib.path == shown:
            return bib, digest, text
    return parse_bibliography_bytes(raw, shown), digest, None


def save(cache_dir: str, bib: Bibliography, digest: str) -> str:
    """Cache a parsed bibliography (when caching is on); returns it as JSON."""
    text = to_json(bib, digest)
    if cache_dir:
        store(_path(cache_dir, digest), text)
    return text


def store(cache: str, text: str | list[str]) -> None:
    """Write a sealed cache file atomically (see `cachefile`); a failure to cache is never an error."""
    folder = os.path.dirname(cache)
    cachefile.write(cache, text)
    try:
        old = sorted(glob.glob(os.path.join(folder, "bib-*.json")), key=os.path.getmtime)
        for stale in old[:-KEEP]:
            os.unlink(stale)
    except OSError:
        pass


PARALLEL_BIB_BYTES = 1_000_000  # below this, parsing on the other core costs more than it saves


class BibSource:
    """The bibliography of one run, parsed at most once: from the cache when its bytes are
    known, and a large uncached one on the other core (`aside`) while this one loads notes.

    `memo`, kept by a long-lived caller (the plugin under `mkdocs serve`), holds the last parse
    by digest, so an unchanged file is neither parsed nor decoded again."""

    def __init__(self, path: str, shown: str, cache_dir: str, memo: dict[str, Bibliography] | None = None) -> None:
        self.path, self.shown, self.cache_dir = path, shown, cache_dir
        self._memo = memo
        self._got: tuple[Bibliography, str] | None = None
        self._cached = False  # what `get` gave is in the cache already (read from it, or saved)
        self._worker: Worker | None = None

    def aside(self, for_checking: bool = False) -> bool:
        """Start parsing on the other core, when the file is large and not in the cache;
        whether it started (or had). `for_checking`: only what a check reads comes back
        (`Bibliography.for_checking`): the full parse never enters this process."""
        if self._worker is not None:
            return True
        if self._got is not None or self._memo or not self.path or not can_fork():
            return False
        if os.path.getsize(self.path) < PARALLEL_BIB_BYTES or is_cached(self.cache_dir, digest_of(self.path)):
            return False
        parse = _parsed_for_checking if for_checking else _parsed_json
        self._worker = call_aside(parse, self.path, self.shown, self.cache_dir)
        return True

    def get(self) -> tuple[Bibliography, str]:
        """(bibliography, digest of its bytes)."""
        if self._got is None:
            self._got = self._from_worker() or self._lookup()
        return self._got

    def save(self) -> None:
        """Put what `get` parsed in the cache (when caching), at a moment the caller chooses."""
        if self._got is not None and not self._cached and self.cache_dir:
            save(self.cache_dir, *self._got)
            self._cached = True

    def lighten(self) -> None:
        """Keep only what a check reads of the bibliography (`Bibliography.for_checking`), once it
        is cached: a large check holds it to the end."""
        bib, digest = self.get()
        self.save()
        self._got = (bib.for_checking(), digest)

    def _from_worker(self) -> tuple[Bibliography, str] | None:
        if self._worker is None:
            return None
        try:
            got, digest = self._worker.recv()
        except WorkerLost:
            return None
        finally:
            self._worker.close()
        if isinstance(got, Bibliography):  # for checking only: the other process cached it whole
            self._cached = True
            return got, digest
        bib = from_json(got, digest)
        if bib is None:
            return None
        self._cached = True  # the other process cached it
        return bib, digest

    def _lookup(self) -> tuple[Bibliography, str]:
        if not self.path:  # a bare vault without a bibliography
            self._cached = True
            return Bibliography(""), "none"
        with open(self.path, "rb") as fh:
            raw = fh.read()
        digest = hashlib.sha256(raw).hexdigest()
        if self._memo is not None and digest in self._memo:
            self._cached = True  # nothing new to cache
            return self._memo[digest], digest
        bib, digest, text = _decoded_or_parsed(raw, digest, self.shown, self.cache_dir)
        self._cached = text is not None
        if self._memo is not None:
            self._memo.clear()
            self._memo[digest] = bib
        return bib, digest


def _parsed_for_checking(path: str, shown: str, cache_dir: str) -> tuple[Bibliography, str]:
    """In the other process: parse and cache, and hand back only what a check reads."""
    bib, digest, text = lookup(path, shown, cache_dir)
    if text is None:
        save(cache_dir, bib, digest)
    return bib.for_checking(), digest


def _parsed_json(path: str, shown: str, cache_dir: str) -> tuple[str, str]:
    """In the other process: parse, cache, and hand back the cache's JSON."""
    bib, digest, text = lookup(path, shown, cache_dir)
    return text or save(cache_dir, bib, digest), digest

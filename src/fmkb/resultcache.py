"""A content-hash cache of each note's check result, so an unchanged vault is not parsed again.

A note's diagnostics depend on its own bytes and on its "world": the settings, the
bibliography, the attachments, and the identity of every note (path, title, aliases,
headings, block ids), which is all that resolving a link to another note reads.

Per note, the cache keeps the digest of its bytes, its identity, its result, and what
the result read of the world: the index keys its links were looked up under (these
include a key of every note they reached), the bib keys it cites, and whether a link
or citation found nothing. It also keeps the digest of the whole world and each bib
key's year.

A later run reuses a note's result when its bytes are unchanged and either the world is
the same or nothing the note read has changed (`affected`): no note its links looked
up, no bib entry it cites (added, removed or with another year), and, if one of its
links or citations found nothing, no name or key at all (its hint reads them all). A
changed attachment list or setting checks every note again.

Like the bibliography cache this is JSON, never pickle: a hostile cache file can
at worst mislead a check, never run code, and a malformed one is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from . import __version__, cachefile
from .bibcache import store
from .check import NoteResult
from .diagnostics import Diagnostic, from_rows, to_rows
from .load import digest_bytes
from .model import Identity, is_str_list
from .resolve import index_keys

FORMAT = 6


@dataclass(slots=True)
class Record:
    """One note as the cache remembers it."""

    digest: str  # of the note's bytes
    identity_row: list  # `Identity.row()`: decoded only when the note's identity is asked for
    identity_digest: str
    result: NoteResult
    shown_diagnostics: list[Diagnostic]  # found while reading it (front matter, encoding)

    @property
    def identity(self) -> Identity:
        return Identity.from_checked_row(self.identity_row)  # checked when the record was decoded

    def row(self) -> list:
        r = self.result
        return [
            self.digest,
            self.identity_row,
            self.identity_digest,
            to_rows(r.diagnostics),
            r.links,
            r.citations,
            r.cited,
            to_rows(self.shown_diagnostics),
            r.keys,
            r.unresolved,
            r.bib_keys,
            r.bib_hints,
            r.targets,
        ]

    @staticmethod
    def from_row(row: Any) -> Record | None:
        """The one decoder of a cached row: every field checked; None for anything else (the
        note is then checked again)."""
        try:
            (
                digest,
                ident,
                ident_digest,
                diags,
                links,
                cites,
                cited,
                shown,
                keys,
                unresolved,
                bib_keys,
                hints,
                targets,
            ) = row
            if not (isinstance(digest, str) and isinstance(ident_digest, str)):
                return None
            if not (type(links) is int and type(cites) is int and type(unresolved) is bool and type(hints) is bool):
                return None
            if not (is_str_list(cited) and is_str_list(keys) and is_str_list(bib_keys) and is_str_list(targets)):
                return None
            result = NoteResult(from_rows(diags), links, cites, cited, keys, unresolved, bib_keys, hints, targets)
            Identity.check_row(ident)
            return Record(digest, ident, ident_digest, result, from_rows(shown))
        except (ValueError, TypeError):
            return None


def identity_digest(ident: Identity) -> str:
    return digest_bytes(_dumps(ident.row()).encode())


def _sha(data: Any) -> str:
    return hashlib.sha256(_dumps(data).encode()).hexdigest()


def files_digest(files: set[str]) -> str:
    return _sha(sorted(files))


def world_digest(fingerprint: list, bib_digest: str, files: set[str], identities: list[tuple[str, str]]) -> str:
    """The digest of everything but a note's own bytes that its result depends on."""
    return _sha([fingerprint, bib_digest, files_digest(files), identities])


def affected(
    records: dict[str, Record],
    old: dict[str, Record],
    new: dict[str, Identity],
    paths: list[str],
    changed_keys: set[str] | None = None,
) -> list[str]:
    """Notes in `records` (bytes unchanged) whose results may differ now.

    `new` maps the notes whose bytes changed (or that are new) to their identity, `old`
    the last run's records of the notes that changed or are gone; `changed_keys` holds
    the bib keys added, removed or given another year since then (None: the
    bibliography is unchanged).
    """
    moved = set(old.keys() - new.keys())  # gone
    moved |= {rel for rel, ident in new.items() if rel not in old or old[rel].identity != ident}
    keys: set[str] = set()
    for rel in moved:
        for ident in (old[rel].identity if rel in old else None, new.get(rel)):
            if ident is not None:
                keys |= index_keys(rel, ident.title, list(ident.aliases))
    cites = changed_keys or set()
    if not moved and not cites:
        return []
    if not moved:
        keys = set()
    return [rel for rel in paths if rel in records and stale(records[rel].result, keys, cites, bool(moved))]


def stale(result: NoteResult, keys: set[str], cites: set[str], moved: bool = True) -> bool:
    """Whether `result` may read differently now that the notes named by `keys` moved (were
    added, changed or removed) and the bib keys `cites` changed."""
    if moved and (result.unresolved or not keys.isdisjoint(result.keys)):  # keys cover every note reached
        return True
    return bool(cites) and (result.bib_hints or not cites.isdisjoint(result.bib_keys))


def bib_changes(old: dict[str, str | None], new: dict[str, str | None]) -> set[str]:
    """Keys added, removed or with another year: all a note's check reads of an entry."""
    missing = object()
    return {key for key in old.keys() | new.keys() if old.get(key, missing) != new.get(key, missing)}


def cache_path(cache_dir: str) -> str:
    return os.path.join(cache_dir, f"check-{__version__}.json")


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def rows_json(records: dict[str, Record]) -> str:
    """Records as the members of a JSON object, without its braces: the shares that two
    processes serialize each on its own core join with a comma."""
    return _dumps({path: r.row() for path, r in records.items()})[1:-1]


def rows_json_raw(rows: dict[str, Any]) -> str:
    """Rows read from the cache (and decoded by `Record.from_row`), written back as they were."""
    return _dumps(rows)[1:-1]


@dataclass(slots=True)
class World:
    """What every note's result was checked against, as the cache's header records it."""

    fingerprint: list  # the settings and fmkb's code
    digest: str  # `world_digest`
    bib: str  # the bibliography's digest
    bib_years: dict[str, str | None]  # each bib key's year
    files: str  # `files_digest` of the attachments


def save(cache_dir: str, world: World, rows: list[str]) -> None:
    """Write the cache atomically from `rows_json` shares; failing to cache is never an error."""
    head = {
        "format": FORMAT,
        "fingerprint": world.fingerprint,
        "world": world.digest,
        "bib": world.bib,
        "bib_years": world.bib_years,
        "files": world.files,
    }
    parts = [_dumps(head)[:-1] + ',"notes":{']
    for share in filter(None, rows):  # written as parts: never joined into one copy
        parts += [share] if len(parts) == 1 else [",", share]
    store(cache_path(cache_dir), [*parts, "}}"])


@dataclass(slots=True)
class Cached:
    world: World
    rows: dict[str, Any]  # path -> raw row; decoded by `record` only when it may be reused

    def record(self, rel: str, digest: str | None = None) -> Record | None:
        """The note's cached record; None when it is missing or malformed, or (given the digest
        of the note's bytes now) when the note changed since."""
        row = self.rows.get(rel)
        if not isinstance(row, list) or not row or (digest is not None and row[0] != digest):
            return None
        return Record.from_row(row)


def load(cache_dir: str, fingerprint: list) -> Cached | None:
    """The cache written by an earlier run with the same settings and code, or None."""
    text = cachefile.read(cache_path(cache_dir))
    if text is None:
        return None
    try:
        data = json.loads(text)
        if data["format"] != FORMAT or data["fingerprint"] != fingerprint:
            return None
        world, bib, years, files, notes = (data[k] for k in ("world", "bib", "bib_years", "files", "notes"))
        if not all(isinstance(x, str) for x in (world, bib, files)) or not isinstance(notes, dict):
            return None
        if not isinstance(years, dict) or not all(y is None or isinstance(y, str) for y in years.values()):
            return None
        return Cached(World(fingerprint, world, bib, years, files), notes)
    except (OSError, ValueError, KeyError, TypeError):
        return None

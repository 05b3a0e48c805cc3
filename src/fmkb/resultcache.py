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

from . import __version__, cachefile
from .bibcache import store
from .check import NoteResult
from .diagnostics import Diagnostic, from_rows, to_rows
from .model import Heading, Note
from .resolve import index_keys

FORMAT = 3


@dataclass(slots=True)
class Record:
    """One note as the cache remembers it."""

    digest: str  # of the note's bytes
    identity: list  # [title, aliases, [[heading, level], ...], [block ids]]
    identity_digest: str
    result: NoteResult
    shown_diagnostics: list[Diagnostic]  # found while reading it (front matter, encoding)


def digest_bytes(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def identity(note: Note) -> list:
    """What other notes' link checks can see of this note."""
    return [note.title, note.aliases, [[h.text, h.level] for h in note.headings], sorted(note.block_ids)]


def identity_digest(ident: list) -> str:
    return digest_bytes(_dumps(ident).encode())


def stub(path: str, ident: list) -> Note:
    """A note with only its identity: enough to resolve links to it."""
    title, aliases, headings, blocks = ident
    return Note(
        path,
        "",
        {"title": title, "aliases": aliases},
        0,
        {},
        [Heading(text, level, 0) for text, level in headings],
        dict.fromkeys(blocks, 0),
    )


def _sha(data) -> str:
    return hashlib.sha256(_dumps(data).encode()).hexdigest()


def files_digest(files: set[str]) -> str:
    return _sha(sorted(files))


def world_digest(fingerprint: list, bib_digest: str, files: set[str], identities: list[tuple[str, str]]) -> str:
    """The digest of everything but a note's own bytes that its result depends on."""
    return _sha([fingerprint, bib_digest, files_digest(files), identities])


def affected(
    records: dict[str, Record],
    old: dict[str, Record],
    new: dict[str, list],
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
        if rel in old:
            title, aliases, *_ = old[rel].identity
            keys |= index_keys(rel, title, aliases)
        if rel in new:
            title, aliases, *_ = new[rel]
            keys |= index_keys(rel, title, aliases)
    cites = changed_keys or set()
    if not moved and not cites:
        return []

    def stale(result: NoteResult) -> bool:
        if moved and (result.unresolved or not keys.isdisjoint(result.keys)):  # keys cover every note reached
            return True
        return bool(cites) and (result.bib_hints or not cites.isdisjoint(result.bib_keys))

    return [rel for rel in paths if rel in records and stale(records[rel].result)]


def bib_changes(old: dict[str, str | None], new: dict[str, str | None]) -> set[str]:
    """Keys added, removed or with another year: all a note's check reads of an entry."""
    missing = object()
    return {key for key in old.keys() | new.keys() if old.get(key, missing) != new.get(key, missing)}


def cache_path(cache_dir: str) -> str:
    return os.path.join(cache_dir, f"check-{__version__}.json")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def rows_json(records: dict[str, Record]) -> str:
    """Records as the members of a JSON object, without its braces: the shares that two
    processes serialize each on its own core join with a comma."""
    rows = {
        path: [
            r.digest,
            r.identity,
            r.identity_digest,
            to_rows(r.result.diagnostics),
            r.result.links,
            r.result.citations,
            r.result.cited,
            to_rows(r.shown_diagnostics),
            r.result.keys,
            r.result.unresolved,
            r.result.bib_keys,
            r.result.bib_hints,
        ]
        for path, r in records.items()
    }
    return _dumps(rows)[1:-1]


def save(
    cache_dir: str,
    fingerprint: list,
    world: str,
    bib: tuple[str, dict[str, str | None]],
    files: set[str],
    rows: list[str],
) -> None:
    """Write the cache atomically from `rows_json` shares; failing to cache is never an error.

    `bib` is the bibliography's digest and each key's year."""
    head = {"format": FORMAT, "fingerprint": fingerprint, "world": world, "bib": bib[0], "bib_years": bib[1]}
    head["files"] = files_digest(files)
    text = _dumps(head)[:-1] + ',"notes":{' + ",".join(r for r in rows if r) + "}}"
    store(cache_path(cache_dir), text)


@dataclass(slots=True)
class Cached:
    world: str
    bib: str
    bib_years: dict[str, str | None]  # each bib key's year in the last run
    files: str
    notes: dict[str, list]  # path -> raw row; turned into a Record only when reused


def load(cache_dir: str, fingerprint: list) -> Cached | None:
    """The cache written by an earlier run with the same settings, or None."""
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
        return Cached(world, bib, years, files, notes)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(row: list) -> Record | None:
    """A cached row as a Record, or None when it is malformed (then the note is checked again)."""
    try:
        digest, ident, ident_digest, diags, links, cites, cited, shown, keys, unresolved, bib_keys, hints = row
        title, aliases, headings, blocks = ident
        if not all(isinstance(x, list) for x in (aliases, headings, blocks, diags, cited, shown, keys, bib_keys)):
            return None
        if not (isinstance(title, str) and all(isinstance(a, str) for a in aliases)):
            return None
        if not all(isinstance(t, str) and isinstance(level, int) for t, level in headings):
            return None
        if not all(isinstance(x, str) for group in (blocks, cited, keys, bib_keys) for x in group):
            return None
        result = NoteResult(
            from_rows(diags),
            int(links),
            int(cites),
            list(cited),
            list(keys),
            bool(unresolved),
            list(bib_keys),
            bool(hints),
        )
        return Record(str(digest), ident, str(ident_digest), result, from_rows(shown))
    except (ValueError, TypeError):
        return None

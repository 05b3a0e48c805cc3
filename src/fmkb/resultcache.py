"""A content-hash cache of each note's check result, so an unchanged vault is not parsed again.

A note's diagnostics depend on its own bytes and on its "world": the settings, the
bibliography, the attachments, and the identity of every note (path, title,
aliases, headings, block ids), which is all that resolving a link to another note
reads. The cache keeps, per note, the digest of its bytes, its identity, its result
and what the result read of other notes (the index keys its links were looked up
under, which include a key of every note they reached, and whether one named no note), plus the digest of the
world they were computed in. A later run reuses a note's result when its bytes are
unchanged and either the world is the same, or only notes' identities changed and
none of them is one this note's links looked up or reached (`affected`). A changed
bibliography, attachment list or setting re-checks every note.

Like the bibliography cache this is JSON, never pickle: a hostile cache file can
at worst mislead a check, never run code, and a malformed one is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from . import __version__
from .bibcache import store
from .check import NoteResult
from .diagnostics import Diagnostic, from_rows, to_rows
from .model import Heading, Note
from .resolve import index_keys

FORMAT = 2


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
    return digest_bytes(json.dumps(ident, ensure_ascii=False, separators=(",", ":")).encode())


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
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def files_digest(files: set[str]) -> str:
    return _sha(sorted(files))


def world_digest(fingerprint: list, bib_digest: str, files: set[str], identities: list[tuple[str, str]]) -> str:
    """The digest of everything but a note's own bytes that its result depends on."""
    return _sha([fingerprint, bib_digest, files_digest(files), identities])


def affected(records: dict[str, Record], old: dict[str, Record], new: dict[str, list], paths: list[str]) -> list[str]:
    """Notes in `records` (bytes unchanged) whose results may differ now that the notes in
    `new` (path -> identity, bytes changed or added) replaced those in `old` (path -> the
    cached record of every note in the last run that is changed or gone)."""
    moved = {rel for rel in old.keys() - new.keys()}  # gone
    moved |= {rel for rel, ident in new.items() if rel not in old or old[rel].identity != ident}
    keys: set[str] = set()
    for rel in moved:
        if rel in old:
            title, aliases, *_ = old[rel].identity
            keys |= index_keys(rel, title, aliases)
        if rel in new:
            title, aliases, *_ = new[rel]
            keys |= index_keys(rel, title, aliases)
    if not moved:
        return []
    return [
        rel
        for rel in paths
        if rel in records
        and (
            records[rel].result.unresolved
            or not keys.isdisjoint(records[rel].result.keys)  # also covers every note a link reached
        )
    ]


def cache_path(cache_dir: str) -> str:
    return os.path.join(cache_dir, f"check-{__version__}.json")


def save(
    cache_dir: str, fingerprint: list, world: str, bib_digest: str, files: set[str], records: dict[str, Record]
) -> None:
    """Write the cache atomically; failing to cache is never an error."""
    data = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "world": world,
        "bib": bib_digest,
        "files": files_digest(files),
        "notes": {
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
            ]
            for path, r in records.items()
        },
    }
    store(cache_path(cache_dir), json.dumps(data, ensure_ascii=False, separators=(",", ":")))


@dataclass(slots=True)
class Cached:
    world: str
    bib: str
    files: str
    notes: dict[str, list]  # path -> raw row; turned into a Record only when reused


def load(cache_dir: str, fingerprint: list) -> Cached | None:
    """The cache written by an earlier run with the same settings, or None."""
    try:
        with open(cache_path(cache_dir), encoding="utf-8") as fh:
            data = json.load(fh)
        if data["format"] != FORMAT or data["fingerprint"] != fingerprint:
            return None
        world, bib, files, notes = data["world"], data["bib"], data["files"], data["notes"]
        if not all(isinstance(x, str) for x in (world, bib, files)) or not isinstance(notes, dict):
            return None
        return Cached(world, bib, files, notes)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(row: list) -> Record | None:
    """A cached row as a Record, or None when it is malformed (then the note is checked again)."""
    try:
        digest, ident, ident_digest, diags, links, cites, cited, shown, keys, unresolved = row
        title, aliases, headings, blocks = ident
        if not (isinstance(title, str) and all(isinstance(a, str) for a in aliases)):
            return None
        if not all(isinstance(t, str) and isinstance(level, int) for t, level in headings):
            return None
        if not all(isinstance(x, str) for group in (blocks, cited, keys) for x in group):
            return None
        result = NoteResult(from_rows(diags), int(links), int(cites), list(cited), list(keys), bool(unresolved))
        return Record(str(digest), ident, str(ident_digest), result, from_rows(shown))
    except (ValueError, TypeError):
        return None

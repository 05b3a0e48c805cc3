"""A content-hash cache of each note's check result, so an unchanged vault is not parsed again.

A note's diagnostics depend on its own bytes and on its "world": the settings, the
bibliography, the attachments, and the identity of every note (path, title,
aliases, headings, block ids), which is all that resolving a link to another note
reads. The cache keeps, per note, the digest of its bytes, its identity and its
result, plus the digest of the world they were computed in. A later run reuses a
note's result when its bytes are unchanged and the world is the same; any change to
the world (a renamed note, an edited heading, a new bib entry) re-checks every note.

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

FORMAT = 1


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


def world_digest(fingerprint: list, bib_digest: str, files: set[str], identities: list[tuple[str, str]]) -> str:
    """The digest of everything but a note's own bytes that its result depends on."""
    data = [fingerprint, bib_digest, sorted(files), identities]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def cache_path(cache_dir: str) -> str:
    return os.path.join(cache_dir, f"check-{__version__}.json")


def save(cache_dir: str, fingerprint: list, world: str, records: dict[str, Record]) -> None:
    """Write the cache atomically; failing to cache is never an error."""
    data = {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "world": world,
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
            ]
            for path, r in records.items()
        },
    }
    store(cache_path(cache_dir), json.dumps(data, ensure_ascii=False, separators=(",", ":")))


@dataclass(slots=True)
class Cached:
    world: str
    notes: dict[str, list]  # path -> raw row; turned into a Record only when reused


def load(cache_dir: str, fingerprint: list) -> Cached | None:
    """The cache written by an earlier run with the same settings, or None."""
    try:
        with open(cache_path(cache_dir), encoding="utf-8") as fh:
            data = json.load(fh)
        if data["format"] != FORMAT or data["fingerprint"] != fingerprint:
            return None
        world, notes = data["world"], data["notes"]
        if not isinstance(world, str) or not isinstance(notes, dict):
            return None
        return Cached(world, notes)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(row: list) -> Record | None:
    """A cached row as a Record, or None when it is malformed (then the note is checked again)."""
    try:
        digest, ident, ident_digest, diags, links, cites, cited, shown = row
        title, aliases, headings, blocks = ident
        if not (isinstance(title, str) and all(isinstance(a, str) for a in aliases)):
            return None
        if not all(isinstance(t, str) and isinstance(level, int) for t, level in headings):
            return None
        if not all(isinstance(b, str) for b in blocks) or not all(isinstance(k, str) for k in cited):
            return None
        result = NoteResult(from_rows(diags), int(links), int(cites), list(cited))
        return Record(str(digest), ident, str(ident_digest), result, from_rows(shown))
    except (ValueError, TypeError):
        return None

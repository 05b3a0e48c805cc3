"""What `mkdocs serve` carries from one rebuild to the next: each note's check result,
reused while nothing it read has changed.

The plugin keeps one `Carry` across rebuilds, as it keeps the parse memo (`load`). A
rebuild checks again the notes whose bytes changed, and the notes whose last result read
something that changed: a name its links looked up (a note's title, alias, headings or
block ids added, changed or gone) or, if one of its links found nothing, any name at all,
since its hint reads them all. This is the rule the check cache replays by
(`resultcache.stale`). A new bibliography or a changed set of attachments checks every
note again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .bibliography import Bibliography
from .check import NoteResult, NotesResult
from .model import Identity, Note
from .resolve import index_keys
from .resultcache import stale

T = TypeVar("T")


@dataclass(slots=True)
class Carry:
    """The last rebuild's notes and results."""

    notes: dict[str, Note] = field(default_factory=dict)  # path -> the note object last checked
    identities: dict[str, Identity] = field(default_factory=dict)
    results: dict[str, NoteResult] = field(default_factory=dict)
    bib: Bibliography | None = None
    attachments: frozenset[str] = frozenset()
    fresh: set[str] = field(default_factory=set)  # the notes the last rebuild checked again
    derived: dict[str, Any] = field(default_factory=dict)  # path -> what `derive` made of it

    def to_check(self, notes: list[Note], bib: Bibliography, attachments: frozenset[str]) -> list[Note]:
        """The notes whose results cannot be carried over."""
        if bib is not self.bib or attachments != self.attachments or not self.results:
            return notes
        current = {n.path: n for n in notes}
        changed = [n for n in notes if self.notes.get(n.path) is not n]
        keys: set[str] = set()
        moved = False
        for path in self.notes.keys() - current.keys():  # gone
            gone = self.identities[path]
            keys |= index_keys(path, gone.title, list(gone.aliases))
            moved = True
        for note in changed:
            old, new = self.identities.get(note.path), Identity.of(note)
            if old != new:
                moved = True
                for ident in (old, new):
                    if ident is not None:
                        keys |= index_keys(note.path, ident.title, list(ident.aliases))
        again = {n.path for n in changed}
        if moved:
            again.update(path for path, r in self.results.items() if path in current and stale(r, keys, set()))
        return [n for n in notes if n.path in again]

    def merge(
        self, notes: list[Note], fresh: NotesResult, bib: Bibliography, attachments: frozenset[str]
    ) -> NotesResult:
        """Every note's result, fresh or carried, merged as `check_notes` merges them; and
        remembered for the next rebuild."""
        each = {n.path: fresh.each.get(n.path) or self.results[n.path] for n in notes}
        identities = {n.path: self.identities[n.path] for n in notes if n.path not in fresh.each}
        identities.update({n.path: Identity.of(n) for n in notes if n.path in fresh.each})
        self.notes, self.identities, self.results = {n.path: n for n in notes}, identities, each
        self.bib, self.attachments, self.fresh = bib, attachments, set(fresh.each)
        self.derived = {path: made for path, made in self.derived.items() if path in each and path not in self.fresh}
        return NotesResult.of(each)

    def derive(self, note: Note, make: Callable[[Note], T]) -> T:
        """What `make` derives from a note and the index (its resolved links, say): made
        again only when the note's check result could not be carried over either."""
        if note.path not in self.derived:
            self.derived[note.path] = make(note)
        return self.derived[note.path]

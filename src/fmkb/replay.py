"""The replay policy: which notes' cached results still hold, and the cache written after a check.

`fmkb check` asks `plan` which notes must be parsed and checked; every other note's result
is replayed from the check cache (`resultcache`). When more than a small share of the
vault would be checked anyway, the plan is to check everything, which is cheaper than
working out what changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import code_digest
from .bibcache import BibSource
from .check import NotesResult
from .config import Settings
from .diagnostics import Diagnostic
from .executor import Outcome
from .load import NoteFiles
from .model import Identity
from .resultcache import (
    Cached,
    Record,
    World,
    affected,
    bib_changes,
    files_digest,
    identity_digest,
    rows_json,
    rows_json_raw,
    save,
    world_digest,
)
from .resultcache import load as load_cache

REPLAY_CHANGED = 0.05  # replay while at most this share of the notes (or 50) must be checked again


@dataclass(slots=True)
class Plan:
    """Parse and check `fresh`; replay the results in `kept`."""

    fresh: list[str]
    kept: dict[str, Record]
    store: bool = True  # the cache no longer matches the vault: write it after the check

    def known(self) -> dict[str, Identity]:
        return {rel: rec.identity for rel, rec in self.kept.items()}

    def replayed(self) -> tuple[NotesResult, list[Diagnostic]]:
        """The kept results merged as `check_notes` merges fresh ones, and what loading found."""
        diagnostics: list[Diagnostic] = []
        found: list[Diagnostic] = []
        cited: dict[str, list[str]] = {}
        linked: set[str] = set()
        links = citations = 0
        for rel, rec in self.kept.items():
            linked.update(rec.result.targets)
            diagnostics.extend(rec.result.diagnostics)
            found.extend(rec.shown_diagnostics)
            links += rec.result.links
            citations += rec.result.citations
            for key in rec.result.cited:
                cited.setdefault(key, []).append(rel)
        return NotesResult(diagnostics, links, citations, cited, {}, linked), found


class NoReplay:
    """Check every note; keep no cache."""

    caching = False

    def __init__(self, files: NoteFiles) -> None:
        self.files = files

    def plan(self) -> Plan:
        return Plan(list(self.files.paths), {}, store=False)

    def store(self, plan: Plan, outcome: Outcome) -> None:
        pass


class Replay:
    """Replay cached results that still hold; write the cache when anything changed."""

    caching = True

    def __init__(self, settings: Settings, files: NoteFiles, bib: BibSource) -> None:
        self.cache_dir = settings.cache_dir
        self.files = files
        self.bib = bib
        self.fingerprint = fingerprint(settings, files.prefix)
        self.cached: Cached | None = load_cache(self.cache_dir, self.fingerprint)

    def plan(self) -> Plan:
        files, cached = self.files, self.cached
        everything = Plan(list(files.paths), {})
        if cached is None:
            return everything
        files.read_ahead()  # every note's digest is wanted first
        kept: dict[str, Record] = {}
        changed: list[str] = []
        for rel in files.paths:
            rec = cached.record(rel, files.digests[rel])
            if rec is None or rel in files.unreadable:
                changed.append(rel)
            else:
                kept[rel] = rec
        limit = max(50, REPLAY_CHANGED * len(files.paths))
        if len(changed) > limit:
            return everything
        # the changed notes' new identities are part of the world
        identities = {rel: Identity.of(files.parse(rel).note) for rel in changed}
        digests = {rel: rec.identity_digest for rel, rec in kept.items()}
        digests.update({rel: identity_digest(ident) for rel, ident in identities.items()})
        bib, bib_digest = self.bib.get()
        same_world = self._world_digest(bib_digest, digests) == cached.world.digest
        if not same_world:
            if cached.world.files != files_digest(files.attachments):
                return everything
            old: dict[str, Record] = {}
            for rel in set(cached.rows) - kept.keys():  # the last run's notes that changed or went
                previous = cached.record(rel)
                if previous is None:
                    return everything
                old[rel] = previous
            cites = bib_changes(cached.world.bib_years, bib.years()) if cached.world.bib != bib_digest else None
            again = affected(kept, old, identities, files.paths, cites)
            if len(changed) + len(again) > limit:
                return everything
            for rel in again:
                del kept[rel]
            changed = sorted(changed + again)
        return Plan(changed, kept, store=bool(changed) or not same_world)

    def store(self, plan: Plan, outcome: Outcome) -> None:
        """Write the cache of every note: the kept rows and the fresh ones."""
        if not plan.store or self.files.unreadable:
            return  # a note could not be read: check it, and its world, in full next time
        digests = {rel: rec.identity_digest for rel, rec in plan.kept.items()}
        digests.update(outcome.digests)
        if any(rel not in digests for rel in self.files.paths):
            return
        bib, bib_digest = self.bib.get()
        world = World(
            self.fingerprint,
            self._world_digest(bib_digest, digests),
            bib_digest,
            bib.years(),
            files_digest(self.files.attachments),
        )
        cached = self.cached
        if cached is not None:  # the kept rows as they were read: no need to encode them again
            kept = rows_json_raw({rel: cached.rows[rel] for rel in plan.kept})
        else:
            kept = rows_json(plan.kept)
        save(self.cache_dir, world, [kept, *outcome.rows])

    def _world_digest(self, bib_digest: str, digests: dict[str, str]) -> str:
        identities = [(rel, digests[rel]) for rel in self.files.paths]
        return world_digest(self.fingerprint, bib_digest, self.files.attachments, identities)


def fingerprint(settings: Settings, prefix: str) -> list:
    """The settings a result depends on, and fmkb's own code: any change checks every note."""
    return [
        code_digest(),
        prefix,
        sorted(settings.allow_html),
        settings.markdown.fingerprint(),
        sorted(settings.allow_files),
        str(getattr(settings.exclude_docs, "patterns", settings.exclude_docs)),
        settings.shown(settings.bibliography),
        settings.rules.fingerprint(),
    ]

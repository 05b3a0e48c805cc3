"""Executors: how the notes to check are parsed, indexed and checked.

`in_process` does it in this process; `two_processes` shares the notes with a forked
second process, which parses and checks its own share (the two exchange only note
identities). Both give the same `Outcome`; `run` picks one.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from . import heap, resultcache
from .bibcache import BibSource
from .bibliography import Bibliography
from .check import HtmlView, NotesResult, check_notes
from .diagnostics import Diagnostic, from_rows, to_rows
from .fork import Worker, WorkerLost, can_fork
from .load import NoteFiles
from .model import Identity, Note
from .policy import RulePolicy
from .resolve import build_index, md_target

SPLIT_NOTES = 3000  # below this a second process costs more than it saves
LEAN_NOTES = 3000  # from this many notes to check, texts are dropped between parsing and checking
TRIM_EVERY = 500  # a lean check gives freed memory back to the system after this many notes
CHUNK = 50  # notes claimed at a time by each of the two processes


@dataclass(slots=True)
class Job:
    """Parse and check `paths`, against an index of them and of the notes in `known`."""

    files: NoteFiles
    paths: list[str]
    known: dict[str, Identity]  # notes not checked this time (their results are reused)
    bib: BibSource
    view: HtmlView
    rules: RulePolicy
    caching: bool  # also give each checked note's cache row and identity digest
    lean: bool = False  # drop each note's text once parsed, read it again to check it (needs digests)


@dataclass(slots=True)
class Outcome:
    parts: list[NotesResult]  # one per process
    found: list[Diagnostic]  # while loading the checked notes
    digests: dict[str, str] = field(default_factory=dict)  # identity digest of each checked note, when caching
    rows: list[str] = field(default_factory=list)  # their cache rows: `resultcache.rows_json` shares


def run(job: Job, parallel: bool) -> Outcome:
    """Two processes for a large job when there is a second core; else this one."""
    if not job.paths:
        return Outcome([], [])  # every result was replayed: no index to build
    if parallel and len(job.paths) >= SPLIT_NOTES and can_fork():
        try:
            return two_processes(job)
        except WorkerLost:
            pass  # the other process failed: do it all here (its notes parsed here so far are kept)
    return in_process(job)


def in_process(job: Job) -> Outcome:
    if not job.bib.aside(for_checking=job.lean):  # a large uncached bibliography is parsed aside
        job.bib.get()  # or first: the notes then reuse the memory its parser lets go
        if job.lean:
            job.bib.lighten()  # (one parsed aside comes back light, once the notes are loaded)
    share = _Share()
    share.add(job, job.paths)
    bib, _ = job.bib.get()
    part = _check(job, share, bib, {})
    rows = share.rows(job, part)
    _release(job, share)
    job.bib.save()
    return Outcome([part], share.found, share.digests, [rows])


@dataclass(slots=True)
class _Share:
    """The notes one process parsed, with what the cache and the other process need of them."""

    notes: list[Note] = field(default_factory=list)
    found: list[Diagnostic] = field(default_factory=list)
    identities: dict[str, Identity] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)

    def add(self, job: Job, paths: list[str], exchange: bool = False) -> None:
        """Parse these notes (a lean check: a chunk at a time, each text dropped once parsed)."""
        step = CHUNK if job.lean else max(len(paths), 1)
        for start in range(0, len(paths), step):
            notes, found = job.files.load(paths[start : start + step])
            self.notes.extend(notes)
            self.found.extend(found)
            if job.caching or exchange:
                for note in notes:
                    ident = self.identities[note.path] = Identity.of(note)
                    if job.caching:
                        self.digests[note.path] = resultcache.identity_digest(ident)
            if job.lean:
                for note in notes:
                    note.text = ""  # a third of a large vault's memory: `_texts_again` reads it back
                if len(self.notes) % TRIM_EVERY < len(notes):
                    heap.give_back()

    def rows(self, job: Job, part: NotesResult) -> str:
        """This share's cache rows, serialized in the process that made them."""
        if not job.caching:
            return ""
        files = job.files
        records = {
            rel: resultcache.Record(
                files.digests[rel],
                self.identities[rel].row(),
                self.digests[rel],
                result,
                files.parsed[rel].diagnostics,
            )
            for rel, result in part.each.items()
            if rel not in files.unreadable
        }
        return resultcache.rows_json(records)


def _check(job: Job, share: _Share, bib: Bibliography, others: dict[str, Identity]) -> NotesResult:
    """Check this share against an index of every note: its own, the other process's, the known.

    The others are stubs (their identities), except the notes a Markdown link of this share
    names with an anchor: their anchors are ids of the rendered headings, so they are parsed."""
    full = _anchored_targets(share.notes)
    if job.lean:
        for note in share.notes:
            if note.path in full:
                note.text = job.files.text_again(note.path) or ""
    stubs = [
        job.files.parse(rel).note if rel in full else ident.stub(rel)
        for known in (others, job.known)
        for rel, ident in known.items()
    ]
    notes = sorted(share.notes + stubs, key=lambda n: n.path)
    index = build_index(notes, job.files.attachments)
    checking = _texts_again(job, share.notes, full) if job.lean else share.notes
    return check_notes(checking, index, bib, job.view, job.files.prefix, job.rules)


def _texts_again(job: Job, notes: list[Note], kept: set[str]) -> Iterator[Note]:
    """Each note with its text read back while it is checked, and dropped again after.
    `kept` notes keep theirs (other notes' Markdown links read their heading ids). A note
    whose bytes changed since it was parsed is left out: `text_again` reports it."""
    checked = 0
    ids = job.view.heading_ids()
    for note in notes:
        if note.path in kept:
            if note.path not in job.files.unreadable:  # (read back in `_check`; changed since)
                yield note
            continue
        text = job.files.text_again(note.path)
        if text is None:
            continue
        note.text = text
        yield note
        note.text = ""
        ids.forget(note.path)  # they were kept with the text
        checked += 1
        if checked % TRIM_EVERY == 0:
            heap.give_back()


def _release(job: Job, share: _Share) -> None:
    """Free a lean check's notes before the caches are serialized, so the two peaks do not add up."""
    if job.lean:
        share.notes.clear()
        job.files.forget()
        heap.give_back()


def _anchored_targets(notes: list[Note]) -> set[str]:
    out = set()
    for note in notes:
        for link in note.md_links:
            found = md_target(note.path, link.dest) if "#" in link.dest else None
            if found is not None and found[1]:
                out.add(found[0])
    return out


def two_processes(job: Job) -> Outcome:
    """Both processes claim chunks of notes from one counter (a large uncached bibliography is
    parsed aside meanwhile, so neither keeps its parser's leftovers), exchange identities, and
    check what they parsed."""
    counter = multiprocessing.get_context("fork").Value("i", 0)
    job.bib.aside(for_checking=job.lean)
    worker = Worker(_other_process, job, counter)
    try:
        share = _Share()
        _claim_chunks(job, counter, share)
        if job.lean:
            job.bib.lighten()  # (read from the cache whole, or parsed here)
        bib, _ = job.bib.get()
        theirs = _unpack(worker.recv())
        worker.send((_pack(share.identities), bib.path, bib.years()))
        part = _check(job, share, bib, theirs)
        rows = share.rows(job, part)
        _release(job, share)
        job.bib.save()  # while the other process still checks
        summary, found, digests, their_rows, unreadable = worker.recv()
    finally:
        worker.close()
    diagnostics, links, citations, cited, linked = summary
    other = NotesResult(from_rows(diagnostics), links, citations, cited, {}, linked)
    job.files.unreadable.update(unreadable)  # reported with the other unreadable notes
    return Outcome([part, other], share.found + from_rows(found), {**share.digests, **digests}, [rows, their_rows])


def _claim_chunks(job: Job, counter: Any, share: _Share) -> None:
    """Parse chunks of notes until none is left; the other process claims from the same counter."""
    while True:
        with counter.get_lock():
            start = counter.value
            counter.value = start + CHUNK
        if start >= len(job.paths):
            return
        share.add(job, job.paths[start : start + CHUNK], exchange=True)


def _other_process(conn: Connection, job: Job, counter: Any) -> None:
    share = _Share()
    _claim_chunks(job, counter, share)
    conn.send(_pack(share.identities))
    theirs, bib_path, years = conn.recv()
    others = _unpack(theirs)
    part = _check(job, share, Bibliography.of_years(bib_path, years), others)
    summary = (to_rows(part.diagnostics), part.links, part.citations, part.cited, part.linked)
    rows = share.rows(job, part)
    _release(job, share)
    unreadable = job.files.unreadable  # notes this process read and could not (or that changed)
    conn.send((summary, to_rows(share.found), share.digests, rows, unreadable))


def _pack(identities: dict[str, Identity]) -> dict[str, tuple]:
    """Identities as plain tuples for the pipe (pickled far faster than dataclasses)."""
    return {rel: (i.title, i.aliases, i.headings, i.blocks, i.heading_lines) for rel, i in identities.items()}


def _unpack(packed: dict[str, tuple]) -> dict[str, Identity]:
    return {rel: Identity(*fields) for rel, fields in packed.items()}

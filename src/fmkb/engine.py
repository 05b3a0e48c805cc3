"""The engine: sources → load → index → check → report, one pipeline for the CLI and the plugin.

`analyze` runs it in full and keeps everything (the plugin renders the site from it;
`fmkb check --external` reads every note's URLs). `check` is the gate `fmkb check` runs:
the same stages, returning only the `Report`, so it may replay cached results
(`replay`) and share the notes with a second process (`executor`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from dataclasses import dataclass

from . import executor
from .bibcache import BibSource
from .bibliography import Bibliography
from .check import HtmlView, Report, check_notes, finish
from .config import Settings
from .incremental import Carry
from .load import NoteFiles, Parsed, Vault
from .replay import NoReplay, Replay
from .resolve import Index, build_index
from .sources import Sources


@dataclass(slots=True)
class Analysis:
    """Everything one full pass made: what the site is rendered from."""

    settings: Settings
    vault: Vault
    bib: Bibliography
    index: Index
    report: Report


def analyze(
    settings: Settings,
    notes_memo: dict[str, Parsed] | None = None,
    bib_memo: dict[str, Bibliography] | None = None,
    carry: Carry | None = None,
    found: Sources | None = None,
) -> Analysis:
    """Load and check everything, keeping every note.

    The memos and the carry, kept by a long-lived caller (the plugin under `mkdocs serve`),
    reuse the parse of unchanged notes and of an unchanged bibliography, and the check
    results that nothing since has changed (`incremental`); `found`: the vault's files as
    MkDocs listed them for this build (else listed here the same way)."""
    with _gc_paused():
        files = NoteFiles.find(settings, memo=notes_memo, found=found)  # sources
        bib_source = _bib_source(settings, bib_memo)
        bib_source.aside()
        vault = files.vault()  # load
        bib, _ = bib_source.get()
        index = build_index(vault.notes, vault.files)  # index
        attachments = frozenset(vault.files)
        checking = vault.notes if carry is None else carry.to_check(vault.notes, bib, attachments)
        part = check_notes(checking, index, bib, HtmlView.of(settings), vault.prefix, settings.rules)  # check
        if carry is not None:
            part = carry.merge(vault.notes, part, bib, attachments)
        report = finish(vault.diagnostics, bib, [part], files.paths, settings.rules, vault.prefix)  # report
        bib_source.save()
        return Analysis(settings, vault, bib, index, report)


def check(settings: Settings, cache: bool = True, parallel: bool = True) -> Report:
    """The gate: the report of a full check, computed as cheaply as the caches and cores allow.

    `cache`: replay the results of notes whose bytes and world are unchanged (`replay`);
    `parallel`: let two processes share a large vault (`executor`)."""
    with _gc_paused():
        caching = cache and bool(settings.cache_dir)
        files = NoteFiles.find(settings, digests=True)  # sources (digests: for the cache, and a lean check)
        bib = _bib_source(settings)
        replay = Replay(settings, files, bib) if caching else NoReplay(files)
        plan = replay.plan()  # what the cache still answers
        known = plan.known() if plan.fresh else {}  # the index is built only for notes to check
        lean = len(plan.fresh) >= executor.LEAN_NOTES
        job = executor.Job(files, plan.fresh, known, bib, HtmlView.of(settings), settings.rules, caching, lean)
        outcome = executor.run(job, parallel)  # load, index and check the rest
        replayed, replayed_found = plan.replayed()
        found = files.diagnostics() + replayed_found + outcome.found
        parts = [replayed, *outcome.parts]
        report = finish(found, bib.get()[0], parts, files.paths, settings.rules, files.prefix)  # report
        replay.store(plan, outcome)
        return report


def _bib_source(settings: Settings, memo: dict[str, Bibliography] | None = None) -> BibSource:
    return BibSource(settings.bibliography, settings.shown(settings.bibliography), settings.cache_dir, memo)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Loading allocates millions of small acyclic objects; the cyclic GC would rescan them
    again and again (a quarter of the run time at 10,000 notes) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

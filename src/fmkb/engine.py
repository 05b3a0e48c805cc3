"""One engine pass: load the vault and the bibliography, then check them.

The CLI and the MkDocs plugin both call `analyze`; neither parses anything itself.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from .bibcache import digest_of, from_json, is_cached, load_cached, to_json
from .bibliography import Bibliography
from .check import Report, check, check_notes, finish
from .config import Settings
from .load import Vault, discover, escaping_diagnostics, load_vault, read_notes
from .model import Note
from .resolve import build_index


@dataclass(slots=True)
class Analysis:
    settings: Settings
    vault: Vault
    bib: Bibliography
    report: Report


def analyze(
    settings: Settings, bib: Bibliography | None = None, note_memo: dict | None = None, split: bool = False
) -> Analysis:
    """Load and check everything.

    Pass `bib` to reuse an already parsed bibliography, and `note_memo` (kept between
    calls) to reuse the parse of unchanged notes. `split=True` lets a large vault be
    checked by two processes (the CLI's `check`): the result's diagnostics and counts
    are the same, but notes read by the second process come back without their text.
    """
    with _gc_paused():
        if split and bib is None and note_memo is None and _can_fork():
            paths, files, escaping = discover(settings.docs_dir)
            if len(paths) >= SPLIT_NOTES:
                try:
                    return _analyze_split(settings, paths, files, escaping)
                except (EOFError, OSError, BrokenPipeError):
                    pass  # the worker died: do it all here
        return _analyze(settings, bib, note_memo)


SPLIT_NOTES = 3000  # below this a second process costs more than it saves


def _can_fork() -> bool:
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def _prefix(settings: Settings) -> str:
    prefix = settings.shown(settings.docs_dir).rstrip("/") + "/"
    return "" if prefix == "./" else prefix


def _stub(note: Note) -> Note:
    """What another process needs of a note to resolve links to it: no text, no links."""
    return Note(note.path, "", note.meta, 0, {}, note.headings, note.block_ids)


def _by_path(notes: list[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: n.path)


def _split_worker(conn, settings: Settings, paths: list[str], files: set[str]) -> None:
    prefix = _prefix(settings)
    notes, diags = read_notes(settings.docs_dir, paths, prefix)
    conn.send([_stub(n) for n in notes])
    others, bib_json, digest = conn.recv()
    bib = from_json(bib_json, digest)
    index = build_index(_by_path(others + notes), files)
    part = check_notes(notes, index, bib, settings.allow_html, prefix)
    part.diagnostics.extend(diags)
    conn.send(part)
    conn.close()


def _analyze_split(settings: Settings, paths: list[str], files: set[str], escaping: list[str]) -> Analysis:
    """Two processes, one per half of the notes; they exchange only note identities."""
    prefix = _prefix(settings)
    # a cold bibliography keeps this process busy parsing it: give the other one more notes
    half = len(paths) // 4 if _cold_and_large(settings) else len(paths) // 2
    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe()
    worker = ctx.Process(target=_split_worker, args=(there, settings, paths[half:], files), daemon=True)
    worker.start()
    there.close()
    try:
        bib, digest = load_cached(settings.bibliography, settings.shown(settings.bibliography), settings.cache_dir)
        mine, diags = read_notes(settings.docs_dir, paths[:half], prefix)
        theirs = here.recv()
        here.send(([_stub(n) for n in mine], to_json(bib, digest), digest))
        vault = Vault(os.path.abspath(settings.docs_dir), prefix, _by_path(mine + theirs), files, diags)
        vault.diagnostics.extend(escaping_diagnostics(escaping, prefix))
        index = build_index(vault.notes, files)
        part = check_notes(mine, index, bib, settings.allow_html, prefix)
        other = here.recv()
    finally:
        here.close()
        worker.join(timeout=5)
    return Analysis(settings, vault, bib, finish(vault, bib, index, [part, other], len(paths)))


@contextlib.contextmanager
def _gc_paused():
    """Loading allocates millions of small acyclic objects; the cyclic GC would rescan them
    again and again (a quarter of the run time at 10,000 notes) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _analyze(settings: Settings, bib: Bibliography | None, note_memo: dict | None) -> Analysis:
    prefix = _prefix(settings)
    shown_bib = settings.shown(settings.bibliography)
    pending = None
    if bib is None and _can_fork() and _cold_and_large(settings):
        # parse a large bibliography on the other core while this one reads the notes
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        pending = pool.submit(_bib_json, settings.bibliography, shown_bib, settings.cache_dir)
    vault = load_vault(settings.docs_dir, prefix, note_memo)
    if pending is not None:
        bib = from_json(*pending.result())
        pool.shutdown()
    if bib is None:
        bib, _ = load_cached(settings.bibliography, shown_bib, settings.cache_dir)
    return Analysis(settings, vault, bib, check(vault, bib, settings.allow_html))


PARALLEL_BIB_BYTES = 1_000_000  # below this, a second process costs more than it saves


def _cold_and_large(settings: Settings) -> bool:
    """A bibliography worth parsing in another process: large, and not in the cache."""
    if os.path.getsize(settings.bibliography) < PARALLEL_BIB_BYTES:
        return False
    return not is_cached(settings.cache_dir, digest_of(settings.bibliography))


def _bib_json(path: str, shown: str, cache_dir: str) -> tuple[str, str]:
    bib, digest = load_cached(path, shown, cache_dir)
    return to_json(bib, digest), digest

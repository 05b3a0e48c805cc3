"""One engine pass: load the vault and the bibliography, then check them.

The CLI and the MkDocs plugin both call `analyze`; neither parses anything itself.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from .bibcache import _path as _cache_path
from .bibcache import from_json, load_cached, to_json
from .bibliography import Bibliography
from .check import Report, check
from .config import Settings
from .load import Vault, load_vault


@dataclass(slots=True)
class Analysis:
    settings: Settings
    vault: Vault
    bib: Bibliography
    report: Report


def analyze(settings: Settings, bib: Bibliography | None = None, note_memo: dict | None = None) -> Analysis:
    """Load and check everything.

    Pass `bib` to reuse an already parsed bibliography, and `note_memo` (kept between
    calls) to reuse the parse of unchanged notes.
    """
    with _gc_paused():
        return _analyze(settings, bib, note_memo)


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
    prefix = settings.shown(settings.docs_dir).rstrip("/") + "/"
    if prefix == "./":
        prefix = ""
    shown_bib = settings.shown(settings.bibliography)
    pending = None
    if bib is None and _worth_a_process(settings):
        # parse a large bibliography on the other core while this one reads the notes
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        pending = pool.submit(_bib_json, settings.bibliography, shown_bib, settings.cache_dir)
    vault = load_vault(settings.docs_dir, prefix, note_memo)
    if pending is not None:
        bib = from_json(pending.result(), _digest(settings.bibliography))
        pool.shutdown()
    if bib is None:
        bib = load_cached(settings.bibliography, shown_bib, settings.cache_dir)
    return Analysis(settings, vault, bib, check(vault, bib, settings.allow_html))


PARALLEL_BIB_BYTES = 1_000_000  # below this, a second process costs more than it saves


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _worth_a_process(settings: Settings) -> bool:
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if os.path.getsize(settings.bibliography) < PARALLEL_BIB_BYTES:
        return False
    cached = settings.cache_dir and os.path.isfile(_cache_path(settings.cache_dir, _digest(settings.bibliography)))
    return not cached


def _bib_json(path: str, shown: str, cache_dir: str) -> str:
    with open(path, "rb") as fh:
        raw = fh.read()
    digest = hashlib.sha256(raw).hexdigest()
    bib = load_cached(path, shown, cache_dir)
    return to_json(bib, digest)

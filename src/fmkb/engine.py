"""One engine pass: load the vault and the bibliography, then check them.

The CLI and the MkDocs plugin both call `analyze`; neither parses anything itself.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from . import __version__, resultcache
from .bibcache import digest_of, from_json, is_cached, load_cached, load_cached_json
from .bibliography import Bibliography
from .check import NoteResult, NotesResult, Report, check, check_notes, finish
from .config import Settings
from .diagnostics import Diagnostic, from_rows, to_rows
from .load import Vault, discover, escaping_diagnostics, load_note, load_vault, read_bytes
from .model import Note
from .resolve import build_index


@dataclass(slots=True)
class Analysis:
    settings: Settings
    vault: Vault
    bib: Bibliography
    report: Report


def analyze(
    settings: Settings,
    bib: Bibliography | None = None,
    note_memo: dict | None = None,
    split: bool = False,
    reuse: bool = False,
) -> Analysis:
    """Load and check everything.

    Pass `bib` to reuse an already parsed bibliography, and `note_memo` (kept between
    calls) to reuse the parse of unchanged notes: the plugin under `mkdocs serve`.

    The CLI's `check` wants only the diagnostics and counts, and may take shortcuts
    that leave `vault.notes` without their text (stubs) or empty; the report's
    diagnostics and counts are always those of a full check:
    `split=True` lets a large vault be checked by two processes, and `reuse=True`
    reuses the cached result of every note whose bytes and world are unchanged
    (see `resultcache`).
    """
    with _gc_paused():
        if bib is None and note_memo is None and (split or reuse):
            return _analyze_files(settings, split, reuse and bool(settings.cache_dir))
        return _analyze(settings, bib, note_memo)


SPLIT_NOTES = 3000  # below this a second process costs more than it saves
REPLAY_CHANGED = 0.05  # parse changed notes ahead (hoping the world is unchanged) up to this share


def _can_fork() -> bool:
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def _prefix(settings: Settings) -> str:
    prefix = settings.shown(settings.docs_dir).rstrip("/") + "/"
    return "" if prefix == "./" else prefix


def _by_path(notes: list[Note]) -> list[Note]:
    return sorted(notes, key=lambda n: n.path)


@dataclass(slots=True)
class _Files:
    """The vault's files, each read once, whichever path through `_analyze_files` runs."""

    root: str
    prefix: str
    paths: list[str]
    files: set[str]
    escaping: list[str]
    caching: bool
    raws: dict[str, bytes] = field(default_factory=dict)  # read ahead, not parsed yet
    unreadable: dict[str, Diagnostic] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # of each note's bytes, when caching
    parsed: dict[str, tuple[Note, list[Diagnostic]]] = field(default_factory=dict)  # parsed ahead
    identities: dict[str, tuple[list, str]] = field(default_factory=dict)  # computed by the other process

    def read(self, rel: str) -> bytes:
        raw = self.raws.get(rel)
        if raw is None:
            raw, problem = read_bytes(self.root, rel, self.prefix + rel)
            if problem:
                self.unreadable[rel] = problem
            if self.caching:
                self.digests[rel] = resultcache.digest_bytes(raw)
        return raw

    def read_ahead(self) -> None:
        for rel in self.paths:
            self.raws[rel] = self.read(rel)

    def parse(self, paths: list[str]) -> tuple[list[Note], list[Diagnostic]]:
        notes, diags = [], []
        for rel in paths:
            hit = self.parsed.get(rel)
            if hit is None:
                raw = self.read(rel)
                self.raws.pop(rel, None)  # its text lives on in the note
                hit = load_note(rel, raw, self.prefix + rel)
            notes.append(hit[0])
            diags.extend(hit[1])
        return notes, diags

    def vault(self, notes: list[Note]) -> Vault:
        vault = Vault(os.path.abspath(self.root), self.prefix, notes, self.files)
        vault.diagnostics.extend(escaping_diagnostics(self.escaping, self.prefix))
        vault.diagnostics.extend(self.unreadable[rel] for rel in self.paths if rel in self.unreadable)
        return vault


def _fingerprint(settings: Settings, prefix: str) -> list:
    return [__version__, prefix, sorted(settings.allow_html), settings.shown(settings.bibliography)]


def _analyze_files(settings: Settings, split: bool, caching: bool) -> Analysis:
    prefix = _prefix(settings)
    got = _Files(settings.docs_dir, prefix, *discover(settings.docs_dir), caching)
    if caching:
        cached = resultcache.load(settings.cache_dir, _fingerprint(settings, prefix))
        if cached is not None:
            got.read_ahead()
            replayed = _replay(settings, got, cached)
            if replayed is not None:
                return replayed
    if split and len(got.paths) >= SPLIT_NOTES and _can_fork():
        try:
            analysis, each = _analyze_split(settings, got)
        except (EOFError, OSError, BrokenPipeError):
            analysis, each = _analyze_serial(settings, got)  # the worker died: do it all here
    else:
        analysis, each = _analyze_serial(settings, got)
    if caching:
        _save(settings, got, analysis, each)
    return analysis


def _replay(settings: Settings, got: _Files, cached: resultcache.Cached) -> Analysis | None:
    """Reuse cached results where they still hold; None sends the caller to a full check.

    Notes whose bytes changed are parsed first (when they are few), since their new
    identity is part of the world; the full check then does not parse them again.
    """
    records: dict[str, resultcache.Record] = {}
    changed: list[str] = []
    for rel in got.paths:
        row = cached.notes.get(rel)
        rec = resultcache.record(row) if row is not None and row[0] == got.digests[rel] else None
        if rec is None or rel in got.unreadable:
            changed.append(rel)
        else:
            records[rel] = rec
    limit = max(50, REPLAY_CHANGED * len(got.paths))
    if len(changed) > limit:
        return None
    for rel in changed:
        got.parsed[rel] = load_note(rel, got.read(rel), got.prefix + rel)
    identities = [
        (rel, records[rel].identity_digest if rel in records else _identity_digest(got.parsed[rel][0]))
        for rel in got.paths
    ]
    bib, bib_digest = load_cached(settings.bibliography, settings.shown(settings.bibliography), settings.cache_dir)
    world = resultcache.world_digest(_fingerprint(settings, got.prefix), bib_digest, got.files, identities)
    if world != cached.world:
        if cached.bib != bib_digest or cached.files != resultcache.files_digest(got.files):
            return None
        old = {}
        for rel in set(cached.notes) - records.keys():  # the last run's notes that changed or went
            old[rel] = resultcache.record(cached.notes[rel])
            if old[rel] is None:
                return None
        new = {rel: resultcache.identity(got.parsed[rel][0]) for rel in changed}
        again = resultcache.affected(records, old, new, got.paths)
        if len(changed) + len(again) > limit:
            return None
        for rel in again:
            del records[rel]
            got.parsed[rel] = load_note(rel, got.read(rel), got.prefix + rel)
        changed = sorted(changed + again)
    notes: list[Note] = []
    index = None
    parts = [_part_of(records)]
    if changed:
        fresh = [got.parsed[rel][0] for rel in changed]
        notes = _by_path([resultcache.stub(rel, rec.identity) for rel, rec in records.items()] + fresh)
        index = build_index(notes, got.files)
        parts.append(check_notes(fresh, index, bib, settings.allow_html, got.prefix))
    vault = got.vault(notes)
    for rel in got.paths:
        vault.diagnostics.extend(records[rel].shown_diagnostics if rel in records else got.parsed[rel][1])
    analysis = Analysis(settings, vault, bib, finish(vault, bib, index, parts, len(got.paths)))
    if changed or len(cached.notes) != len(got.paths):
        each = {rel: rec.result for rel, rec in records.items()}
        for part in parts[1:]:
            each.update(part.each)
        _save(settings, got, analysis, each, known=records, bib_digest=bib_digest)
    return analysis


def _identity_digest(note: Note) -> str:
    return resultcache.identity_digest(resultcache.identity(note))


def _part_of(records: dict[str, resultcache.Record]) -> NotesResult:
    """Cached per-note results merged as `check_notes` merges fresh ones."""
    out = []
    cited: dict[str, list[str]] = {}
    links = cites = 0
    for rel, rec in records.items():
        out.extend(rec.result.diagnostics)
        links += rec.result.links
        cites += rec.result.citations
        for key in rec.result.cited:
            cited.setdefault(key, []).append(rel)
    return NotesResult(out, links, cites, cited, {})


def _save(
    settings: Settings,
    got: _Files,
    analysis: Analysis,
    each: dict,
    known: dict | None = None,
    bib_digest: str | None = None,
) -> None:
    """Remember every readable note's result for the next run."""
    known = known or {}
    by_path = {n.path: n for n in analysis.vault.notes}
    shown: dict[str, list[Diagnostic]] = {}
    for d in analysis.vault.diagnostics:
        shown.setdefault(d.path, []).append(d)
    records: dict[str, resultcache.Record] = {}
    for rel in got.paths:
        if rel in got.unreadable or rel not in each:
            continue
        if rel in known:
            records[rel] = known[rel]
            continue
        if rel in got.identities:
            ident, ident_digest = got.identities[rel]
        elif rel in by_path:
            ident = resultcache.identity(by_path[rel])
            ident_digest = resultcache.identity_digest(ident)
        else:
            continue
        records[rel] = resultcache.Record(
            got.digests[rel],
            ident,
            ident_digest,
            each[rel],
            shown.get(got.prefix + rel, []),
        )
    if len(records) != len(got.paths):
        return  # an unreadable note: its world is not known; check in full next time
    if bib_digest is None:
        bib_digest = digest_of(settings.bibliography)
    identities = [(rel, records[rel].identity_digest) for rel in got.paths]
    fingerprint = _fingerprint(settings, got.prefix)
    world = resultcache.world_digest(fingerprint, bib_digest, got.files, identities)
    resultcache.save(settings.cache_dir, fingerprint, world, bib_digest, got.files, records)


CHUNK = 50  # notes claimed at a time by each of the two processes


def _parse_share(got: _Files, counter) -> tuple[list[Note], list[Diagnostic]]:
    """Parse chunks of notes until none is left; the other process claims from the same counter."""
    notes, diags = [], []
    while True:
        with counter.get_lock():
            start = counter.value
            counter.value = start + CHUNK
        if start >= len(got.paths):
            return notes, diags
        more, found = got.parse(got.paths[start : start + CHUNK])
        notes.extend(more)
        diags.extend(found)


def _identities(notes: list[Note]) -> list[tuple[str, list]]:
    """(path, identity) of each note: all the other process needs of them, as plain lists."""
    return [(n.path, resultcache.identity(n)) for n in notes]


def _stubs(identities: list[tuple[str, list]]) -> list[Note]:
    return [resultcache.stub(path, ident) for path, ident in identities]


def _pack(part: NotesResult) -> dict:
    """A check result as plain lists (pickled many times faster than the dataclasses)."""
    return {
        rel: (to_rows(r.diagnostics), r.links, r.citations, r.cited, r.keys, r.unresolved)
        for rel, r in part.each.items()
    }


def _unpack(packed: dict) -> NotesResult:
    part = NotesResult([], 0, 0, {}, {})
    for rel, (rows, links, cites, cited, keys, unresolved) in packed.items():
        one = part.each[rel] = NoteResult(from_rows(rows), links, cites, cited, keys, unresolved)
        part.diagnostics.extend(one.diagnostics)
        part.links += links
        part.citations += cites
        for key in cited:
            part.cited.setdefault(key, []).append(rel)
    return part


def _digested(got: _Files, identities: list[tuple[str, list]]) -> dict[str, tuple[list, str]]:
    if not got.caching:
        return {}
    return {rel: (ident, resultcache.identity_digest(ident)) for rel, ident in identities}


def _split_worker(conn, settings: Settings, got: _Files, counter) -> None:
    notes, diags = _parse_share(got, counter)
    mine = _identities(notes)
    conn.send(mine)
    others, bib_json, digest = conn.recv()
    bib = from_json(bib_json, digest)
    index = build_index(_by_path(_stubs(others) + notes), got.files)
    part = check_notes(notes, index, bib, settings.allow_html, got.prefix)
    digests = {rel: d for rel, (_ident, d) in _digested(got, mine).items()}
    conn.send((_pack(part), to_rows(diags), got.digests, got.unreadable, digests))
    conn.close()
    # a forked child: leave without freeing a vault's worth of objects one by one
    # (half a second at 10,000 notes) while the parent waits in join()
    os._exit(0)


def _analyze_split(settings: Settings, got: _Files) -> tuple[Analysis, dict]:
    """Two processes share out the notes (and this one parses the bibliography first);
    they exchange only note identities, then each checks the notes it parsed."""
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)
    here, there = ctx.Pipe()
    worker = ctx.Process(target=_split_worker, args=(there, settings, got, counter), daemon=True)
    worker.start()
    there.close()
    try:
        shown = settings.shown(settings.bibliography)
        bib, digest, bib_json = load_cached_json(settings.bibliography, shown, settings.cache_dir)
        mine, diags = _parse_share(got, counter)
        identities = _identities(mine)
        theirs = here.recv()
        here.send((identities, bib_json, digest))
        vault = got.vault(_by_path(mine + _stubs(theirs)))
        vault.diagnostics.extend(diags)
        index = build_index(vault.notes, got.files)
        part = check_notes(mine, index, bib, settings.allow_html, got.prefix)
        got.identities.update(_digested(got, identities))
        packed, other_diags, digests, unreadable, ident_digests = here.recv()
        other = _unpack(packed)
        got.digests.update(digests)
        got.identities.update({rel: (ident, ident_digests[rel]) for rel, ident in theirs if rel in ident_digests})
        news = {rel: d for rel, d in unreadable.items() if rel not in got.unreadable}  # read there
        got.unreadable.update(news)
        vault.diagnostics.extend([*from_rows(other_diags), *news.values()])
    finally:
        here.close()
        worker.join(timeout=5)
    report = finish(vault, bib, index, [part, other], len(got.paths))
    return Analysis(settings, vault, bib, report), {**part.each, **other.each}


def _analyze_serial(settings: Settings, got: _Files) -> tuple[Analysis, dict]:
    bib_of = _bib_later(settings)
    notes, diags = got.parse(got.paths)
    vault = got.vault(notes)
    vault.diagnostics.extend(diags)
    bib = bib_of()
    index = build_index(notes, got.files)
    part = check_notes(notes, index, bib, settings.allow_html, got.prefix)
    return Analysis(settings, vault, bib, finish(vault, bib, index, [part], len(notes))), part.each


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
    bib_of = _bib_later(settings, bib)
    vault = load_vault(settings.docs_dir, _prefix(settings), note_memo)
    bib = bib_of()
    return Analysis(settings, vault, bib, check(vault, bib, settings.allow_html))


def _bib_later(settings: Settings, bib: Bibliography | None = None) -> Callable[[], Bibliography]:
    """A function that gives the bibliography; a large uncached one is parsed meanwhile on the other core."""
    shown = settings.shown(settings.bibliography)
    if bib is not None:
        return lambda: bib
    if not (_can_fork() and _cold_and_large(settings)):
        return lambda: load_cached(settings.bibliography, shown, settings.cache_dir)[0]
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    pending = pool.submit(_bib_json, settings.bibliography, shown, settings.cache_dir)

    def wait() -> Bibliography:
        try:
            parsed = from_json(*pending.result())
        finally:
            pool.shutdown()
        return parsed or load_cached(settings.bibliography, shown, settings.cache_dir)[0]

    return wait


PARALLEL_BIB_BYTES = 1_000_000  # below this, a second process costs more than it saves


def _cold_and_large(settings: Settings) -> bool:
    """A bibliography worth parsing in another process: large, and not in the cache."""
    if os.path.getsize(settings.bibliography) < PARALLEL_BIB_BYTES:
        return False
    return not is_cached(settings.cache_dir, digest_of(settings.bibliography))


def _bib_json(path: str, shown: str, cache_dir: str) -> tuple[str, str]:
    _bib, digest, text = load_cached_json(path, shown, cache_dir)
    return text, digest

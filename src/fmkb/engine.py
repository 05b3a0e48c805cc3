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

from . import bibcache, code_digest, resultcache
from .bibcache import digest_of, from_json, is_cached, load_cached
from .bibliography import BibEntry, Bibliography
from .check import HtmlView, NoteResult, NotesResult, Report, check, check_notes, finish
from .config import Settings
from .diagnostics import Diagnostic, from_rows, to_rows
from .load import Vault, discover, load_note, load_vault, read_bytes, refused_diagnostics
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
REPLAY_CHANGED = 0.05  # reuse cached results while at most this share of notes must be checked again


def _can_fork() -> bool:
    return usable_cores() >= 2 and "fork" in multiprocessing.get_all_start_methods()


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity (`taskset -c 0` leaves one), not the
    machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


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
    refused: list  # sources.Refused: files the site will not publish
    caching: bool
    math: bool = True  # the site renders $...$ as math
    raws: dict[str, bytes] = field(default_factory=dict)  # read ahead, not parsed yet
    unreadable: dict[str, Diagnostic] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # of each note's bytes, when caching
    parsed: dict[str, tuple[Note, list[Diagnostic]]] = field(default_factory=dict)  # parsed ahead

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
                hit = load_note(rel, raw, self.prefix + rel, self.math)
            notes.append(hit[0])
            diags.extend(hit[1])
        return notes, diags

    def vault(self, notes: list[Note]) -> Vault:
        vault = Vault(os.path.abspath(self.root), self.prefix, notes, self.files)
        vault.diagnostics.extend(refused_diagnostics(self.refused, self.prefix))
        vault.diagnostics.extend(self.unreadable[rel] for rel in self.paths if rel in self.unreadable)
        return vault


def _fingerprint(settings: Settings, prefix: str) -> list:
    return [
        code_digest(),
        prefix,
        sorted(settings.allow_html),
        settings.markdown.fingerprint(),
        sorted(settings.allow_files),
        str(getattr(settings.exclude_docs, "patterns", settings.exclude_docs)),
        settings.shown(settings.bibliography),
    ]


def _analyze_files(settings: Settings, split: bool, caching: bool) -> Analysis:
    prefix = _prefix(settings)
    found = discover(settings.docs_dir, settings.exclude_docs, settings.allow_files)
    got = _Files(settings.docs_dir, prefix, *found, caching, settings.markdown.math)
    if caching:
        cached = resultcache.load(settings.cache_dir, _fingerprint(settings, prefix))
        if cached is not None:
            got.read_ahead()
            replayed = _replay(settings, got, cached)
            if replayed is not None:
                return replayed
    if split and len(got.paths) >= SPLIT_NOTES and _can_fork():
        try:
            return _analyze_split(settings, got)
        except (EOFError, OSError, BrokenPipeError):
            pass  # the worker died: do it all here
    return _analyze_serial(settings, got)


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
        got.parsed[rel] = load_note(rel, got.read(rel), got.prefix + rel, got.math)
    idents = {rel: resultcache.identity(got.parsed[rel][0]) for rel in changed}
    digests = {rel: rec.identity_digest for rel, rec in records.items()}
    digests.update({rel: resultcache.identity_digest(ident) for rel, ident in idents.items()})
    bib, bib_digest = load_cached(settings.bibliography, settings.shown(settings.bibliography), settings.cache_dir)
    world = _world(settings, got, bib_digest, digests)
    years = _years(bib)
    if world != cached.world:
        if cached.files != resultcache.files_digest(got.files):
            return None
        old: dict[str, resultcache.Record] = {}
        for rel in set(cached.notes) - records.keys():  # the last run's notes that changed or went
            previous = resultcache.record(cached.notes[rel])
            if previous is None:
                return None
            old[rel] = previous
        cites = resultcache.bib_changes(cached.bib_years, years) if cached.bib != bib_digest else None
        again = resultcache.affected(records, old, idents, got.paths, cites)
        if len(changed) + len(again) > limit:
            return None
        for rel in again:
            del records[rel]
            got.parsed[rel] = load_note(rel, got.read(rel), got.prefix + rel, got.math)
            idents[rel] = resultcache.identity(got.parsed[rel][0])
        changed = sorted(changed + again)
    notes: list[Note] = []
    index = None
    parts = [_part_of(records)]
    if changed:
        fresh = [got.parsed[rel][0] for rel in changed]
        notes = _by_path([resultcache.stub(rel, rec.identity) for rel, rec in records.items()] + fresh)
        index = build_index(notes, got.files)
        parts.append(check_notes(fresh, index, bib, HtmlView.of(settings), got.prefix))
    vault = got.vault(notes)
    load_diags = [d for rel in changed for d in got.parsed[rel][1]]
    for rel in got.paths:
        vault.diagnostics.extend(records[rel].shown_diagnostics if rel in records else got.parsed[rel][1])
    analysis = Analysis(settings, vault, bib, finish(vault, bib, index, parts, len(got.paths)))
    if changed or world != cached.world:
        fresh_records = _records(got, parts[-1].each if changed else {}, load_diags, idents, digests)
        rows = resultcache.rows_json({**records, **fresh_records})
        _store(settings, got, years, bib_digest, digests, [rows])
    return analysis


def _world(settings: Settings, got: _Files, bib_digest: str, digests: dict[str, str]) -> str:
    """The world digest of this vault, given every note's identity digest."""
    identities = [(rel, digests[rel]) for rel in got.paths]
    return resultcache.world_digest(_fingerprint(settings, got.prefix), bib_digest, got.files, identities)


def _records(
    got: _Files, each: dict[str, NoteResult], load_diags: list[Diagnostic], idents: dict[str, list], digests: dict
) -> dict[str, resultcache.Record]:
    """Cache records for freshly checked notes (those that could be read)."""
    shown: dict[str, list[Diagnostic]] = {}
    for d in load_diags:
        shown.setdefault(d.path, []).append(d)
    return {
        rel: resultcache.Record(got.digests[rel], idents[rel], digests[rel], result, shown.get(got.prefix + rel, []))
        for rel, result in each.items()
        if rel not in got.unreadable
    }


def _store(
    settings: Settings,
    got: _Files,
    years: dict[str, str | None],
    bib_digest: str,
    digests: dict[str, str],
    rows: list[str],
) -> None:
    """Write the check cache, made of `rows` (from one process or two) covering every note."""
    if got.unreadable or any(rel not in digests for rel in got.paths):
        return  # a note could not be read: check it, and its world, in full next time
    world = _world(settings, got, bib_digest, digests)
    fingerprint = _fingerprint(settings, got.prefix)
    resultcache.save(settings.cache_dir, fingerprint, world, (bib_digest, years), got.files, rows)


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


CHUNK = 50  # notes claimed at a time by each of the two processes


@dataclass(slots=True)
class _Share:
    """The notes one process parsed, with their identities (and digests, when caching)."""

    notes: list[Note] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    idents: dict[str, list] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)


def _parse_share(got: _Files, counter) -> _Share:
    """Parse chunks of notes until none is left; the other process claims from the same counter.

    Identities are computed here too, where the two processes' work is balanced."""
    share = _Share()
    while True:
        with counter.get_lock():
            start = counter.value
            counter.value = start + CHUNK
        if start >= len(got.paths):
            return share
        more, found = got.parse(got.paths[start : start + CHUNK])
        share.notes.extend(more)
        share.diagnostics.extend(found)
        for note in more:
            ident = share.idents[note.path] = resultcache.identity(note)
            if got.caching:
                share.digests[note.path] = resultcache.identity_digest(ident)


def _stubs(identities: dict[str, list]) -> list[Note]:
    return [resultcache.stub(path, ident) for path, ident in identities.items()]


def _years(bib: Bibliography) -> dict[str, str | None]:
    """What checking a note reads of the bibliography: its keys and their years."""
    return {key: e.fields.get("year") for key, e in bib.entries.items()}


def _unslim(path: str, years: dict[str, str | None]) -> Bibliography:
    bib = Bibliography(path)
    for key, year in years.items():
        bib.entries[key] = BibEntry(key, "", {} if year is None else {"year": year}, 0, {})
    return bib


def _own_rows(got: _Files, part: NotesResult, share: _Share) -> str:
    """This process's share of the check cache, serialized here."""
    if not got.caching:
        return ""
    return resultcache.rows_json(_records(got, part.each, share.diagnostics, share.idents, share.digests))


def _split_worker(conn, settings: Settings, got: _Files, counter) -> None:
    try:
        share = _parse_share(got, counter)
        conn.send(share.idents)
        others, slim = conn.recv()
        index = build_index(_by_path(_stubs(others) + share.notes), got.files)
        part = check_notes(share.notes, index, _unslim(*slim), HtmlView.of(settings), got.prefix)
        rows = _own_rows(got, part, share)
        summary = (to_rows(part.diagnostics + share.diagnostics), part.links, part.citations, part.cited)
        conn.send((summary, got.unreadable, rows, share.digests))
        conn.close()
        code = 0
    except BaseException:  # the parent sees the pipe close and does the work itself
        code = 1
    # a forked child: leave without freeing a vault's worth of objects one by one
    # (half a second at 10,000 notes) while the parent waits in join(), and without
    # printing anything of its own
    os._exit(code)


def _analyze_split(settings: Settings, got: _Files) -> Analysis:
    """Two processes share out the notes (and this one parses the bibliography first);
    they exchange only note identities, then each checks the notes it parsed and
    serializes its share of the check cache."""
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)
    here, there = ctx.Pipe()
    worker = ctx.Process(target=_split_worker, args=(there, settings, got, counter), daemon=True)
    worker.start()
    there.close()
    try:
        shown = settings.shown(settings.bibliography)
        bib, bib_digest, cached_json = bibcache.lookup(settings.bibliography, shown, settings.cache_dir)
        share = _parse_share(got, counter)
        theirs = here.recv()
        years = _years(bib)
        here.send((share.idents, (bib.path, years)))
        vault = got.vault(_by_path(share.notes + _stubs(theirs)))
        vault.diagnostics.extend(share.diagnostics)
        index = build_index(vault.notes, got.files)
        part = check_notes(share.notes, index, bib, HtmlView.of(settings), got.prefix)
        rows = _own_rows(got, part, share)
        if cached_json is None and settings.cache_dir:  # while the other process still checks
            bibcache.save(settings.cache_dir, bib, bib_digest)
        (their_diags, links, cites, cited), unreadable, their_rows, their_digests = here.recv()
    finally:
        here.close()
        worker.join(timeout=5)
    other = NotesResult(from_rows(their_diags), links, cites, cited, {})
    news = {rel: d for rel, d in unreadable.items() if rel not in got.unreadable}  # read there
    got.unreadable.update(news)
    vault.diagnostics.extend(news.values())
    analysis = Analysis(settings, vault, bib, finish(vault, bib, index, [part, other], len(got.paths)))
    if got.caching:
        _store(settings, got, years, bib_digest, {**share.digests, **their_digests}, [rows, their_rows])
    return analysis


def _analyze_serial(settings: Settings, got: _Files) -> Analysis:
    bib_of = _bib_later(settings)
    notes, diags = got.parse(got.paths)
    vault = got.vault(notes)
    vault.diagnostics.extend(diags)
    bib, bib_digest = bib_of()
    index = build_index(notes, got.files)
    part = check_notes(notes, index, bib, HtmlView.of(settings), got.prefix)
    analysis = Analysis(settings, vault, bib, finish(vault, bib, index, [part], len(notes)))
    if got.caching:
        idents = {n.path: resultcache.identity(n) for n in notes}
        share = _Share(notes, diags, idents, {rel: resultcache.identity_digest(i) for rel, i in idents.items()})
        _store(settings, got, _years(bib), bib_digest, share.digests, [_own_rows(got, part, share)])
    return analysis


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
    bib_of = _bib_later(settings) if bib is None else None
    vault = load_vault(
        settings.docs_dir,
        _prefix(settings),
        note_memo,
        settings.markdown.math,
        settings.exclude_docs,
        settings.allow_files,
    )
    if bib_of is not None:
        bib, _ = bib_of()
    assert bib is not None
    return Analysis(settings, vault, bib, check(vault, bib, HtmlView.of(settings)))


def _bib_later(settings: Settings) -> Callable[[], tuple[Bibliography, str]]:
    """A function that gives (bibliography, digest); a large uncached one is parsed meanwhile
    on the other core."""
    shown = settings.shown(settings.bibliography)
    if not (_can_fork() and _cold_and_large(settings)):
        return lambda: load_cached(settings.bibliography, shown, settings.cache_dir)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    pending = pool.submit(_bib_json, settings.bibliography, shown, settings.cache_dir)

    def wait() -> tuple[Bibliography, str]:
        try:
            text, digest = pending.result()
        finally:
            pool.shutdown()
        parsed = from_json(text, digest)
        return (parsed, digest) if parsed is not None else load_cached(settings.bibliography, shown, settings.cache_dir)

    return wait


PARALLEL_BIB_BYTES = 1_000_000  # below this, a second process costs more than it saves


def _cold_and_large(settings: Settings) -> bool:
    """A bibliography worth parsing in another process: large, and not in the cache."""
    if os.path.getsize(settings.bibliography) < PARALLEL_BIB_BYTES:
        return False
    return not is_cached(settings.cache_dir, digest_of(settings.bibliography))


def _bib_json(path: str, shown: str, cache_dir: str) -> tuple[str, str]:
    bib, digest, text = bibcache.lookup(path, shown, cache_dir)
    return text or bibcache.save(cache_dir, bib, digest), digest

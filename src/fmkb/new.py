"""`fmkb new`: start a note (and, for a paper, its BibTeX entry) in one command.

Everything is prepared in memory first; then the note is created (refusing to
overwrite) and references.bib is replaced atomically, keeping every existing
byte. If anything fails, or the command is interrupted, nothing is left behind.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import Any

import yaml

from .bibliography import load_bibliography
from .config import Settings
from .fetch import FetchError, Paper, bibtex_entry, fetch_arxiv, fetch_doi, house_key, normalize_arxiv, normalize_doi
from .fsutil import WriteRefused, create_file, replace_file
from .load import NoteFiles


class NewError(Exception):
    """A one-line reason; exit code 1, nothing written."""


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|#^\[\]\x00-\x1f]')


def file_stem(title: str) -> str:
    """A file name Obsidian and every OS accept: 'BERT: Pre-training' -> 'BERT - Pre-training'."""
    stem = title.replace(": ", " - ").replace(":", " -")
    stem = _UNSAFE_NAME.sub("", stem)
    stem = " ".join(stem.split()).strip(" .")
    if len(stem) > 120:
        stem = stem[:120].rsplit(" ", 1)[0]
    if not stem:
        raise NewError("the name has no characters that can be used in a file name")
    return stem


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def check_name(name: str) -> str:
    """A note name as given, refused when it holds control characters or line breaks
    (they would end up in front matter and in a heading)."""
    if _CONTROL.search(name):
        raise NewError("the name contains a control character or a line break; give it on one line")
    name = " ".join(name.split())
    if not name:
        raise NewError("the name is empty")
    return name


def front_matter(meta: dict[str, Any]) -> str:
    """YAML front matter written by PyYAML (quoting whatever needs it), between --- lines."""
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000) + "---\n"


def paper_note(paper: Paper, key: str) -> str:
    first = paper.authors[0][0]
    who = first if len(paper.authors) == 1 else f"{first} et al."
    title = " ".join(paper.title.split())
    meta = {"title": title, "kind": "paper", "cite": key, "year": paper.year, "aliases": [], "tags": []}
    meta["description"] = f"{title} ({who}, {paper.year})."
    return (
        front_matter(meta)
        + f"""
# {title}

## Summary

What problem the paper addresses, what it proposes and why it matters, in your own words [@{key}].

## Key results

- The paper's headline numbers, with units and conditions [@{key}].

## Limitations and critiques

- What the paper does not show; later work that disputed or superseded it.

## Related notes

<!-- Link the concepts and models this paper belongs to, e.g. [[Scaling laws]]. -->
"""
    )


def concept_note(name: str) -> str:
    meta = {
        "title": name,
        "kind": "concept",
        "aliases": [],
        "tags": [],
        "description": f"{name}: a one-sentence definition.",
    }
    return (
        front_matter(meta)
        + f"""
# {name}

A definition in one paragraph, with the papers behind it cited as `[@key]`.

## Key papers

## Related notes

<!-- Link related notes, e.g. [[Foundation model]]. -->
"""
    )


def model_note(name: str) -> str:
    meta = {
        "title": name,
        "kind": "model",
        "aliases": [],
        "tags": [],
        "description": f"{name}: what it is, in one sentence.",
    }
    return (
        front_matter(meta)
        + f"""
# {name}

What the model is, its architecture and training data, and how it is used.

## Related notes

<!-- Link the paper that introduced it and related models. -->
"""
    )


def _inside_notes(settings: Settings, path: str) -> None:
    """Refuse a note whose folder (or any existing folder above it) leads out of the notes folder."""
    root = os.path.realpath(settings.docs_dir)
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder) and folder != os.path.dirname(folder):
        folder = os.path.dirname(folder)
    real = os.path.realpath(folder)
    if real != root and not real.startswith(root + os.sep):
        raise NewError(f"{settings.shown(path)} would be written outside the notes folder (a linked folder); refused")


def _write_note(path: str, text: str) -> None:
    try:
        create_file(path, text.encode("utf-8"))
    except WriteRefused as e:
        raise NewError(str(e)) from None
    except OSError as e:
        raise NewError(f"cannot write {path}: {e.strerror or e}") from None


def _refuse_taken_name(settings: Settings, name: str) -> None:
    """A note whose file name, title or alias equals `name` up to case already exists: a
    second one would make links to that name ambiguous (and clash on case-blind disks)."""
    clashes = name_clashes(settings, name)
    if clashes:
        raise NewError(f"'{name}' is already a note ({clashes[0]}); link to it, or choose another name")


def new_plain(settings: Settings, kind: str, name: str) -> str:
    """Create a concept or model note; returns its path relative to the repository."""
    name = check_name(name)
    folder = {"concept": "concepts", "model": "models"}[kind]
    path = os.path.join(settings.docs_dir, folder, file_stem(name) + ".md")
    if os.path.exists(path):
        raise NewError(f"{settings.shown(path)} already exists; not overwriting it")
    _inside_notes(settings, path)
    _refuse_taken_name(settings, name)
    _write_note(path, concept_note(name) if kind == "concept" else model_note(name))
    return settings.shown(path)


@contextmanager
def _bibliography_lock(settings: Settings, timeout: float = 120.0):
    """One `fmkb new` at a time per bibliography: its read-modify-write of references.bib
    (and the choice of a free key) is exclusive. The lock file lives in the user's cache
    folder, not in the repository."""
    import hashlib

    from filelock import FileLock, Timeout

    from .cachefile import user_cache_root

    name = hashlib.sha256(os.path.realpath(settings.bibliography).encode()).hexdigest()[:16]
    folder = os.path.join(user_cache_root(), "locks")
    os.makedirs(folder, exist_ok=True)
    try:
        with FileLock(os.path.join(folder, name + ".lock"), timeout=timeout):
            yield
    except Timeout:
        raise NewError(f"another fmkb new is writing {settings.shown(settings.bibliography)}; try again") from None


def new_paper(
    settings: Settings,
    *,
    arxiv: str | None = None,
    doi: str | None = None,
    paper: Paper | None = None,
    **fetch_kw: Any,
) -> tuple[str, str]:
    """Add a BibTeX entry and a paper note, from metadata fetched by arXiv id or DOI, or from
    `paper` (given by hand or read from BibTeX). Returns (key, note path).

    Concurrent runs take turns (a lock around the whole read-modify-write), so two runs
    never both succeed with one entry lost or one key given twice."""
    with _bibliography_lock(settings):
        return _new_paper(settings, arxiv=arxiv, doi=doi, paper=paper, **fetch_kw)


def _new_paper(
    settings: Settings, *, arxiv: str | None, doi: str | None, paper: Paper | None, **fetch_kw: Any
) -> tuple[str, str]:
    try:
        wanted_arxiv = normalize_arxiv(arxiv) if arxiv else (paper.arxiv or None if paper else None)
        wanted_doi = normalize_doi(doi) if doi else (paper.doi or None if paper else None)
    except FetchError as e:
        raise NewError(str(e)) from None
    with open(settings.bibliography, "rb") as fh:
        original = fh.read()
    bib = load_bibliography(settings.bibliography, settings.shown(settings.bibliography))
    existing = None
    if wanted_arxiv:
        existing = bib.arxiv_ids().get(wanted_arxiv)
    if wanted_doi and not existing:
        existing = bib.dois().get(wanted_doi.lower())
    if existing:
        vault = NoteFiles.find(settings).vault()
        notes = [n.path for n in vault.notes if n.meta.get("cite") == existing]
        where = f" (note: {settings.shown(os.path.join(settings.docs_dir, notes[0]))})" if notes else " (no note yet)"
        raise NewError(f"{wanted_arxiv or wanted_doi} is already in {bib.path} as '{existing}'{where}")
    if paper is None:
        try:
            paper = (
                fetch_arxiv(wanted_arxiv, settings.network, **fetch_kw)
                if wanted_arxiv
                else fetch_doi(wanted_doi or "", settings.network, **fetch_kw)
            )
        except FetchError as e:
            raise NewError(str(e)) from None
    if paper.doi and paper.doi.lower() in bib.dois():
        raise NewError(f"DOI {paper.doi} is already in {bib.path} as '{bib.dois()[paper.doi.lower()]}'")
    base = house_key(paper)
    key, n = base, 1
    taken = {k.casefold() for k in bib.entries}
    while key.casefold() in taken:
        key = base + chr(ord("a") + n)
        n += 1
    note_path = os.path.join(settings.docs_dir, "papers", file_stem(paper.title) + ".md")
    if os.path.exists(note_path):
        raise NewError(f"{settings.shown(note_path)} already exists; not overwriting it")
    _inside_notes(settings, note_path)
    entry = bibtex_entry(paper, key)
    sep = b"" if not original or original.endswith(b"\n\n") else (b"\n" if original.endswith(b"\n") else b"\n\n")
    updated = original + sep + entry.encode("utf-8")
    _write_note(note_path, paper_note(paper, key))
    try:
        replace_file(settings.bibliography, updated, original)
    except BaseException as e:  # undo the note: all or nothing, even on Ctrl-C
        try:
            os.unlink(note_path)
        except OSError:
            pass
        if isinstance(e, WriteRefused):
            raise NewError(str(e)) from None
        if isinstance(e, OSError):
            raise NewError(f"cannot write {settings.shown(settings.bibliography)}: {e.strerror or e}") from None
        raise
    return key, settings.shown(note_path)


def name_clashes(settings: Settings, name: str) -> list[str]:
    """Notes whose file name, title or alias is `name` up to case: a new note of that name
    would make links to it ambiguous."""
    wanted = {name.casefold(), file_stem(name).casefold()}
    out = []
    for note in NoteFiles.find(settings).vault().notes:
        if any(taken.casefold() in wanted for taken in (note.stem, note.title, *note.aliases)):
            out.append(settings.shown(os.path.join(settings.docs_dir, note.path)))
    return out


def paper_from_bibtex(text: str, shown: str = "the BibTeX given") -> tuple[Paper, str]:
    """The one entry in `text` (exported from Zotero or Better BibTeX, or copied from a
    publisher) as a Paper, and its own key; NewError says what is wrong with it."""
    from .bibliography import parse_bibliography
    from .render import decode_latex, person

    bib = parse_bibliography(text, shown)
    if len(bib.entries) != 1:
        problems = "; ".join(f"line {d.line}: {d.message}" for d in bib.diagnostics if d.rule == "bib-syntax")
        found = f"{len(bib.entries)} entries" + (f" ({problems})" if problems else "")
        raise NewError(f"{shown}: expected exactly one BibTeX entry, found {found}")
    (entry,) = bib.entries.values()
    fields = {name: decode_latex(value) for name, value in entry.fields.items()}
    missing = [f for f in ("title", "author", "year") if not fields.get(f)]
    if missing:
        raise NewError(f"{shown}: the entry '{entry.key}' lacks {', '.join(missing)}")
    year = re.search(r"\d{4}", fields["year"])
    if year is None:
        raise NewError(f"{shown}: the entry's year '{fields['year']}' is not a year")
    from bibtexparser.middlewares.names import split_multiple_persons_names

    authors = []
    for raw in split_multiple_persons_names(entry.fields["author"]):
        if raw.strip().lower() == "others":
            continue
        p = person(raw)
        given = p.full[: -len(p.family)].strip() if p.full.endswith(p.family) else ""
        authors.append((p.family, given))
    kind = entry.type if entry.type in ("article", "inproceedings") else "misc"
    venue = fields.get("journal") or fields.get("booktitle") or ""
    eprint = fields.get("eprint", "") if fields.get("archiveprefix", "arxiv").lower() == "arxiv" else ""
    paper = Paper(
        title=" ".join(fields["title"].split()),
        authors=authors,
        year=int(year.group()),
        entry_type=kind,
        venue=venue,
        arxiv=eprint,
        doi=fields.get("doi", ""),
        url=fields.get("url", ""),
        volume=fields.get("volume", ""),
        pages=fields.get("pages", ""),
        publisher=fields.get("publisher", ""),
    )
    return paper, entry.key


def paper_by_hand(title: str, authors: list[str], year: int, arxiv: str = "", doi: str = "") -> Paper:
    """A Paper from what a person typed (`--offline --title ... --author ... --year ...`)."""
    from .render import person

    title = check_name(title)
    people = []
    for name in authors:
        p = person(check_name(name))
        given = p.full[: -len(p.family)].strip() if p.full.endswith(p.family) else ""
        people.append((p.family, given))
    try:
        wanted_arxiv = normalize_arxiv(arxiv) if arxiv else ""
        wanted_doi = normalize_doi(doi) if doi else ""
    except FetchError as e:
        raise NewError(str(e)) from None
    return Paper(title, people, year, "misc", arxiv=wanted_arxiv, doi=wanted_doi)


def offline_help(arxiv: str | None, doi: str | None) -> str:
    ident = f"eprint        = {{{arxiv}}},\n  archivePrefix = {{arXiv}}," if arxiv else f"doi           = {{{doi}}},"
    return f"""fmkb: offline, so nothing was fetched or written; add the paper by hand:
  1. append an entry to references.bib, with a key in the house scheme (firstauthorYEARfirstword):

     @misc{{kaplan2020scaling,
       title         = {{...}},
       author        = {{Last, First and Last, First}},
       year          = {{2020}},
       {ident}
     }}

  2. create notes/papers/<Title>.md with front matter 'kind: paper', 'cite: <key>', 'year: <year>'
     (`fmkb new concept` shows the layout of a note), and cite it in the text as [@<key>];
  3. run `fmkb check`."""

"""The bibliography: parse `references.bib` with bibtexparser v2 and check it.

bibtexparser is run with an empty middleware stack, so field values arrive
exactly as written (braces, quotes, `#` concatenations). That lets us see what
the library's own middlewares would hide: macros that are never defined, and
fields swallowed by a missing comma. LaTeX decoding is left to the renderer,
which only decodes the fields it shows.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field

import bibtexparser
from bibtexparser import model as bibmodel

from .diagnostics import Diagnostic, diag
from .identifiers import is_arxiv, is_doi, without_version
from .resolve import nearest_keys


@dataclass(frozen=True, slots=True)
class BibEntry:
    key: str
    type: str  # lower case: "article", "misc", ...
    fields: dict[str, str]  # lower-case name -> value without enclosures, macros expanded
    line: int
    field_lines: dict[str, int]


@dataclass(slots=True)
class Bibliography:
    path: str  # as shown in diagnostics
    entries: dict[str, BibEntry] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unparsed: dict[str, int] = field(default_factory=dict)  # key -> line of an entry that did not parse

    def arxiv_ids(self) -> dict[str, str]:
        """arXiv id (no version) -> key, for spotting papers already present."""
        out: dict[str, str] = {}
        for e in self.entries.values():
            eid = arxiv_id(e)
            if eid:
                out.setdefault(eid, e.key)
        return out

    def years(self) -> dict[str, str | None]:
        """All that checking a note reads of the bibliography: each key's year, and the line of
        each entry that did not parse (the check cache keeps this; a second process gets only it)."""
        out = {key: e.fields.get("year") for key, e in self.entries.items()}
        for key, line in self.unparsed.items():
            out.setdefault(key, f"{_UNPARSED}{line}")
        return out

    @staticmethod
    def of_years(path: str, years: dict[str, str | None], lines: dict[str, int] | None = None) -> Bibliography:
        """A bibliography with only keys and years (see `years`), and each entry's line when
        given: enough to check notes against."""
        bib = Bibliography(path)
        for key, year in years.items():
            if year is not None and year.startswith(_UNPARSED):
                bib.unparsed[key] = int(year[len(_UNPARSED) :])
            else:
                line = lines.get(key, 0) if lines else 0
                bib.entries[key] = BibEntry(key, "", {} if year is None else {"year": year}, line, {})
        return bib

    def for_checking(self) -> Bibliography:
        """What checking and reporting read of it, in a fraction of the memory: each key's year
        and line (`bib-unused` points at it), the entries that did not parse, the diagnostics."""
        bib = Bibliography.of_years(self.path, self.years(), {key: e.line for key, e in self.entries.items()})
        bib.diagnostics = self.diagnostics
        return bib

    def unknown_key(self, key: str) -> tuple[str, str | None]:
        """What to say of a key that is not an entry: (why, hint). A key whose entry did not parse
        is reported as such, with no guess at another key."""
        line = self.unparsed.get(key)
        if line is not None:
            return (
                f"its entry at {self.path}:{line} could not be parsed",
                f"fix the syntax error reported at {self.path}:{line} first",
            )
        close = nearest_keys(key, self.entries)
        hint = f"did you mean @{' or @'.join(close)}?" if close else f"add an entry '{key}' to {self.path}"
        return f"it is not in {self.path}", hint

    def dois(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.entries.values():
            doi = e.fields.get("doi")
            if doi:
                out.setdefault(doi.lower(), e.key)
        return out


MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple: at least one of these fields
    "article": (("author",), ("title",), ("journal",), ("year",)),
    "inproceedings": (("author",), ("title",), ("booktitle",), ("year",)),
    "incollection": (("author",), ("title",), ("booktitle",), ("year",)),
    "book": (("author", "editor"), ("title",), ("publisher",), ("year",)),
    "misc": (("title",), ("year",), ("url", "eprint", "howpublished", "institution")),
    "online": (("title",), ("year",), ("url", "eprint", "howpublished", "institution")),
    "techreport": (("title",), ("year",), ("url", "eprint", "howpublished", "institution")),
}

_YEAR = re.compile(r"\d{4}")
_FIELD_ASSIGN = re.compile(r"([A-Za-z][\w\-:.]*)\s*=")


@contextlib.contextmanager
def _quiet_parser():
    """bibtexparser logs every failed block; we report them as diagnostics instead."""
    logger = logging.getLogger("bibtexparser")
    old = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(old)


class _ValueError(Exception):
    pass


_BRACE_OR_ESCAPE = re.compile(r"[\\{}]")
_BRACE_OR_QUOTE = re.compile(r'[{}"]')
_BARE = re.compile(r"[^\s#,{}\"=]+")


def _split_value(raw: str) -> tuple[list[tuple[str, str]], str]:
    """Split a raw BibTeX value into pieces ('lit'|'num'|'macro', text) and the unparsed rest."""
    pieces: list[tuple[str, str]] = []
    s = raw.strip()
    i = 0
    n = len(s)
    while True:
        while i < n and s[i].isspace():
            i += 1
        if i >= n:
            break
        c = s[i]
        if c == "{":
            depth, j = 0, i
            while True:  # jump from brace to brace; a backslash escapes the next character
                m = _BRACE_OR_ESCAPE.search(s, j)
                if m is None:
                    raise _ValueError("unbalanced braces")
                j = m.start()
                if s[j] == "\\":
                    j += 2
                    continue
                if s[j] == "{":
                    depth += 1
                else:
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            pieces.append(("lit", s[i + 1 : j]))
            i = j + 1
        elif c == '"':
            depth, j = 0, i + 1
            while True:  # to the first quote outside braces
                m = _BRACE_OR_QUOTE.search(s, j)
                if m is None:
                    raise _ValueError("unterminated quoted value")
                j = m.start()
                if s[j] == '"' and depth == 0:
                    break
                depth += {"{": 1, "}": -1}.get(s[j], 0)
                j += 1
            pieces.append(("lit", s[i + 1 : j]))
            i = j + 1
        else:
            m = _BARE.match(s, i)
            if not m:
                return pieces, s[i:]
            tok = m.group()
            pieces.append(("num" if tok.isdigit() else "macro", tok))
            i = m.end()
        while i < n and s[i].isspace():
            i += 1
        if i < n and s[i] == "#":
            i += 1
            continue
        return pieces, s[i:]
    return pieces, ""


def parse_bibliography(text: str, shown_path: str) -> Bibliography:
    """Parse and check a bibliography's text. Never raises on bad input."""
    bib = Bibliography(shown_path)
    d = bib.diagnostics
    try:
        with _quiet_parser():
            library = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as e:  # the parser itself gave up: report, keep going with nothing
        d.append(diag(shown_path, 1, 1, "bib-syntax", f"bibliography could not be parsed: {e}"))
        return bib
    macros: dict[str, str] = {}
    for s in library.strings:
        try:
            pieces, _ = _split_value(s.value)
            macros[s.key.lower()] = "".join(p[1] for p in pieces)
        except _ValueError:
            macros[s.key.lower()] = s.value
    raw_entries: list[bibmodel.Entry] = list(library.entries)
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        kept = block.ignore_error_block
        if isinstance(block, bibmodel.DuplicateBlockKeyBlock) and isinstance(kept, bibmodel.Entry):
            raw_entries.append(kept)  # reported below, in line order, with the first entry's line
        elif isinstance(block, bibmodel.DuplicateFieldKeyBlock) and isinstance(kept, bibmodel.Entry):
            names = ", ".join(sorted(block.duplicate_keys))
            d.append(
                diag(
                    shown_path,
                    line,
                    1,
                    "bib-field-format",
                    f"entry '{kept.key}' repeats field {names}; only one value survives",
                    "keep one of the repeated fields",
                )
            )
            raw_entries.append(kept)
        else:
            err = getattr(block, "error", None)
            err_lines = str(getattr(err, "abort_reason", None) or err or "").strip().splitlines()
            reason = err_lines[-1].strip() if err_lines else "the block is incomplete"
            raw_text = getattr(block, "raw", "") or ""
            for m in _ENTRY_KEY.finditer(raw_text):
                bib.unparsed.setdefault(m.group(1), line + raw_text.count("\n", 0, m.start()))
            message = f"bib block does not parse: {reason}"
            d.append(diag(shown_path, line, 1, "bib-syntax", message, _syntax_hint(reason)))
    seen_fold: dict[str, BibEntry] = {}
    ids: dict[str, BibEntry] = {}
    for raw in sorted(raw_entries, key=lambda r: r.start_line or 0):
        if raw.key in bib.entries:
            first = bib.entries[raw.key]
            d.append(
                diag(
                    shown_path,
                    (raw.start_line or 0) + 1,
                    1,
                    "bib-duplicate-key",
                    f"duplicate key '{raw.key}' (first on line {first.line})",
                    "give one of the entries a different key, or delete the copy",
                )
            )
            continue
        entry = _check_entry(raw, macros, shown_path, d)
        fold = entry.key.casefold()
        if fold in seen_fold:
            other = seen_fold[fold]
            d.append(
                diag(
                    shown_path,
                    entry.line,
                    1,
                    "bib-duplicate-key",
                    f"key '{entry.key}' differs only in case from '{other.key}' (line {other.line})",
                    "keys are case-sensitive in citations; rename one entry",
                )
            )
        seen_fold.setdefault(fold, entry)
        bib.entries[entry.key] = entry
        for label, value in (("DOI", (entry.fields.get("doi") or "").lower()), ("arXiv id", arxiv_id(entry))):
            if not value:
                continue
            twin = ids.get(label + value)
            if twin is not None:
                d.append(
                    diag(
                        shown_path,
                        entry.line,
                        1,
                        "bib-duplicate-id",
                        f"entry '{entry.key}' has the same {label} {value} as '{twin.key}' (line {twin.line})",
                        f"cite '{twin.key}' and remove this entry",
                    )
                )
            else:
                ids[label + value] = entry
    return bib


_UNPARSED = "\x00unparsed:"  # marks, in `Bibliography.years`, a key whose entry did not parse
_ENTRY_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^\s,{}()\"#%'=]+)\s*,")
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.I)


def _syntax_hint(reason: str) -> str:
    """A plain-language hint for what bibtexparser reports."""
    if "Unexpected block start" in reason or "closing" in reason:
        return "a brace or quote is not closed: each '{' needs its '}', and the entry ends with '}' before the next '@'"
    if "Expected" in reason and "," in reason:
        return "put a comma after the key and between fields: @article{key, title = {...}, year = {2020}}"
    return "check braces, quotes and the commas between fields"


def arxiv_id(entry: BibEntry) -> str | None:
    """The entry's arXiv id, from `eprint` (with an arXiv prefix, or none) or from an arXiv DOI
    (10.48550/arXiv.ID): two entries with either are the same work."""
    eprint = entry.fields.get("eprint", "").strip()
    prefix = (entry.fields.get("archiveprefix") or entry.fields.get("eprinttype") or "arxiv").lower()
    if eprint and prefix == "arxiv":
        return without_version(eprint)
    m = _ARXIV_DOI.fullmatch(entry.fields.get("doi", "").strip())
    return without_version(m.group(1)) if m else None


def _check_entry(e: bibmodel.Entry, macros: dict[str, str], path: str, d: list[Diagnostic]) -> BibEntry:
    line = (e.start_line or 0) + 1
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for f in e.fields:
        name = f.key.lower()
        fline = (f.start_line + 1) if f.start_line is not None else line
        lines[name] = fline
        try:
            pieces, rest = _split_value(f.value)
        except _ValueError as err:
            d.append(diag(path, fline, 1, "bib-field-format", f"field '{name}' of '{e.key}': {err}"))
            fields[name] = f.value
            continue
        if rest.strip():
            lost = _FIELD_ASSIGN.match(rest.strip())
            if lost:
                d.append(
                    diag(
                        path,
                        fline,
                        1,
                        "bib-field-format",
                        f"field '{lost.group(1)}' of '{e.key}' is swallowed by field '{name}'",
                        f"add a comma after the value of '{name}'",
                    )
                )
            else:
                d.append(
                    diag(
                        path,
                        fline,
                        1,
                        "bib-field-format",
                        f"field '{name}' of '{e.key}' has trailing text: {rest.strip()[:40]!r}",
                    )
                )
        out = []
        for kind, val in pieces:
            if kind == "macro":
                low = val.lower()
                if low in macros:
                    out.append(macros[low])
                elif low in MONTHS:
                    out.append(val)
                else:
                    d.append(
                        diag(
                            path,
                            fline,
                            1,
                            "bib-field-format",
                            f"field '{name}' of '{e.key}' uses undefined @string macro '{val}'",
                            f"define it with @string{{{val} = {{...}}}} or put the value in braces",
                        )
                    )
                    out.append(val)
            else:
                out.append(val)
        fields[name] = "".join(out)
    entry = BibEntry(e.key, e.entry_type.lower(), fields, line, lines)
    for group in REQUIRED.get(entry.type, ()):
        if not any(fields.get(name, "").strip() for name in group):
            want = " or ".join(f"'{g}'" for g in group)
            d.append(diag(path, line, 1, "bib-missing-field", f"@{entry.type} '{e.key}' lacks {want}"))
    year = fields.get("year")
    if year is not None and not _YEAR.fullmatch(year.strip()):
        d.append(diag(path, lines["year"], 1, "bib-field-format", f"year of '{e.key}' is not four digits: {year!r}"))
    doi = fields.get("doi")
    if doi is not None and not is_doi(doi):
        hint = "write the bare DOI, e.g. 10.18653/v1/N19-1423" if "doi.org" in doi else None
        d.append(diag(path, lines["doi"], 1, "bib-field-format", f"malformed DOI in '{e.key}': {doi!r}", hint))
    eprint = fields.get("eprint")
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "arxiv").lower()
    if eprint is not None and prefix == "arxiv":
        if not is_arxiv(eprint):
            d.append(
                diag(
                    path,
                    lines["eprint"],
                    1,
                    "bib-field-format",
                    f"malformed arXiv id in '{e.key}': {eprint!r}",
                    "use the form 2203.02155 (or hep-th/9901001 for old ids)",
                )
            )
    return entry


def load_bibliography(path: str, shown_path: str) -> Bibliography:
    with open(path, "rb") as fh:
        return parse_bibliography_bytes(fh.read(), shown_path)


def parse_bibliography_bytes(raw: bytes, shown_path: str) -> Bibliography:
    """Decode (UTF-8, BOM and CRLF tolerated) and parse; bad bytes are a diagnostic, not a crash."""
    problems: list[Diagnostic] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        problems.append(
            diag(
                shown_path,
                line,
                1,
                "bib-syntax",
                f"bibliography is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
                "save references.bib as UTF-8",
            )
        )
        text = raw.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    bib = parse_bibliography(text.replace("\r\n", "\n").replace("\r", "\n"), shown_path)
    bib.diagnostics[:0] = problems
    return bib

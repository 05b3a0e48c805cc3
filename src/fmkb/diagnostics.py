"""Diagnostics: the one currency every stage of the pipeline pays in.

A diagnostic names a place (path, 1-based line and column), a stable rule and a
message; renderers turn a list of them into text, GitHub annotations or JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str  # stable: a code never changes meaning; new rules get new codes
    severity: Severity  # when the rule is on
    description: str  # one line
    on: bool = True  # by default; a vault's `rules:` option turns rules on and off (see `policy.py`)


# Stable rule names and codes.
_RULES: dict[str, tuple[str, Severity, str] | tuple[str, Severity, str, bool]] = {
    # name: (code, severity, one-line description[, on by default])
    "file-unreadable": ("FMKB001", Severity.ERROR, "a note cannot be read or decoded as UTF-8"),
    "frontmatter-yaml": ("FMKB101", Severity.ERROR, "front matter is not valid YAML"),
    "frontmatter-schema": ("FMKB102", Severity.ERROR, "front matter breaks the schema"),
    "frontmatter-unknown-key": ("FMKB103", Severity.WARNING, "front matter has an unknown key"),
    "paper-cite": ("FMKB104", Severity.ERROR, "front matter names a missing or mismatched bib entry"),
    "link-unresolved": ("FMKB201", Severity.ERROR, "a wiki-link names no note"),
    "link-ambiguous": ("FMKB202", Severity.ERROR, "a wiki-link names several notes"),
    "link-heading": ("FMKB203", Severity.ERROR, "a wiki-link names a heading the note lacks"),
    "link-block": ("FMKB204", Severity.ERROR, "a wiki-link names a block id the note lacks"),
    "link-outside-vault": ("FMKB205", Severity.ERROR, "a wiki-link climbs out of the vault"),
    "embed-missing": ("FMKB206", Severity.ERROR, "an embed names no file or note"),
    "link-case": ("FMKB207", Severity.WARNING, "a wiki-link spells a file name in another case"),
    "link-by-title": ("FMKB208", Severity.WARNING, "a wiki-link names a note by title or alias, not file name", False),
    "md-link-unresolved": ("FMKB211", Severity.ERROR, "a Markdown link names no note or file"),
    "md-link-anchor": ("FMKB212", Severity.WARNING, "a Markdown link names an anchor the page lacks"),
    "md-link-outside-vault": ("FMKB213", Severity.ERROR, "a Markdown link climbs out of the vault"),
    "md-image-missing": ("FMKB214", Severity.ERROR, "a Markdown image names no file"),
    "cite-unknown": ("FMKB301", Severity.ERROR, "a citation names no bib entry"),
    "html-unsafe": ("FMKB601", Severity.ERROR, "raw HTML or a link that can run script or load foreign content"),
    "note-too-complex": ("FMKB602", Severity.ERROR, "a note the renderer cannot publish in reasonable time"),
    "file-unpublishable": ("FMKB603", Severity.ERROR, "a file in the notes folder the site will not publish"),
    "bib-syntax": ("FMKB401", Severity.ERROR, "a bib block does not parse"),
    "bib-duplicate-key": ("FMKB402", Severity.ERROR, "two bib entries share a key"),
    "bib-missing-field": ("FMKB403", Severity.ERROR, "a bib entry lacks a required field"),
    "bib-field-format": ("FMKB404", Severity.ERROR, "a bib field is malformed or lost"),
    "bib-duplicate-id": ("FMKB405", Severity.ERROR, "two bib entries share a DOI or arXiv id"),
    "bib-unused": ("FMKB406", Severity.WARNING, "no note cites a bib entry"),
    "bib-metadata-drift": ("FMKB407", Severity.WARNING, "a bib entry disagrees with arXiv or Crossref (--metadata)"),
    "url-dead": ("FMKB501", Severity.WARNING, "an external link does not answer, or answers with an error"),
    "url-redirect": ("FMKB502", Severity.WARNING, "an external link has moved permanently"),
    # house rules: a vault's own policy, set in the `rules:` option
    "note-orphan": ("FMKB701", Severity.WARNING, "no other note links to this note", False),
    "note-few-links": ("FMKB702", Severity.WARNING, "a note links to fewer other notes than the policy asks", False),
    "note-short": ("FMKB703", Severity.WARNING, "a note has fewer words of its own prose than the policy asks", False),
    "paper-sections": ("FMKB704", Severity.WARNING, "a paper note lacks a section the policy asks for", False),
    "model-facts": ("FMKB705", Severity.WARNING, "a model note lacks a fact the policy asks for", False),
    "note-description": ("FMKB706", Severity.WARNING, "a note has no description", False),
    "note-tags": ("FMKB707", Severity.WARNING, "a note has no tags", False),
}
RULES: dict[str, Rule] = {name: Rule(*fields) for name, fields in _RULES.items()}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    line: int
    column: int
    rule: str
    message: str
    hint: str | None = None
    severity: Severity = field(default=Severity.ERROR)

    @property
    def code(self) -> str:
        return RULES[self.rule].code


def diag(path: str, line: int, column: int, rule: str, message: str, hint: str | None = None) -> Diagnostic:
    """Build a diagnostic with the rule's default severity."""
    return Diagnostic(path, line, column, rule, message, hint, RULES[rule].severity)


def to_rows(ds: list[Diagnostic]) -> list[list]:
    """Diagnostics as plain lists: for JSON caches and for sending to another process."""
    return [[d.path, d.line, d.column, d.rule, d.message, d.hint, d.severity.value] for d in ds]


def from_rows(rows: list) -> list[Diagnostic]:
    """The inverse of `to_rows`; raises ValueError or TypeError on a malformed row."""
    return [
        Diagnostic(str(p), int(line), int(col), str(rule), str(msg), None if hint is None else str(hint), Severity(sev))
        for p, line, col, rule, msg, hint, sev in rows
    ]


# Problems that cause others: listed first, so a reader fixes the cause before its consequences
# (an entry that does not parse makes every citation of it unknown).
ROOT_CAUSES = frozenset({"bib-syntax", "file-unreadable"})


def sort_key(d: Diagnostic) -> tuple:
    """Root causes first, then by place."""
    return (d.rule not in ROOT_CAUSES, d.path, d.line, d.column, d.rule, d.message)


@dataclass(frozen=True, slots=True)
class Summary:
    errors: int
    warnings: int
    notes: int
    links: int
    citations: int


def summarize(diagnostics: list[Diagnostic], notes: int, links: int, citations: int) -> Summary:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    return Summary(errors, len(diagnostics) - errors, notes, links, citations)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with control characters, line separators and bidi overrides shown as escapes:
    a note's name or content can never start a new line in fmkb's output (where it would
    pass for a workflow command such as `::error`) or reorder what a reader sees."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def one_line(d: Diagnostic) -> str:
    """`path:line:col: message [rule] (hint: ...)`, printable: for logs such as MkDocs'."""
    hint = f" (hint: {printable(d.hint)})" if d.hint else ""
    return f"{printable(d.path)}:{d.line}:{d.column}: {printable(d.message)} [{d.rule}]{hint}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(diagnostics: list[Diagnostic], summary: Summary) -> str:
    lines = []
    for d in diagnostics:
        lines.append(f"{printable(d.path)}:{d.line}:{d.column}: {d.severity.value}: {printable(d.message)} [{d.rule}]")
        if d.hint:
            lines.append(f"    hint: {printable(d.hint)}")
    lines.append(
        f"{_plural(summary.errors, 'error')}, {_plural(summary.warnings, 'warning')} "
        f"in {_plural(summary.notes, 'note')} "
        f"({_plural(summary.links, 'link')}, {_plural(summary.citations, 'citation')})"
    )
    return "\n".join(lines) + "\n"


def _escape_data(s: str) -> str:
    # GitHub workflow-command escaping for the message part (its own newlines stay
    # %0A, other control characters are shown escaped).
    return printable(s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: list[Diagnostic], summary: Summary) -> str:
    lines = []
    for d in diagnostics:
        message = printable(d.message) + (f"\nhint: {printable(d.hint)}" if d.hint else "")
        lines.append(
            f"::{d.severity.value} file={_escape_property(d.path)},line={d.line},col={d.column},"
            f"title={_escape_property(d.rule)}::{_escape_data(message)}"
        )
    lines.append(
        f"fmkb: {_plural(summary.errors, 'error')}, {_plural(summary.warnings, 'warning')} "
        f"in {_plural(summary.notes, 'note')}"
    )
    return "\n".join(lines) + "\n"


def render_json(diagnostics: list[Diagnostic], summary: Summary) -> str:
    out = {
        "diagnostics": [
            {
                "path": printable(d.path),
                "line": d.line,
                "column": d.column,
                "severity": d.severity.value,
                "rule": d.rule,
                "code": d.code,
                "message": printable(d.message),
                "hint": None if d.hint is None else printable(d.hint),
            }
            for d in diagnostics
        ],
        "summary": asdict(summary),
    }
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "github": render_github, "json": render_json}

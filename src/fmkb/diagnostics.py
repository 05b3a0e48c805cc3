"""Diagnostics: the one currency every stage of the pipeline pays in.

A diagnostic names a place (path, 1-based line and column), a stable rule and a
message; renderers turn a list of them into text, GitHub annotations or JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# Stable rule names and codes. Codes never change meaning; new rules get new codes.
RULES: dict[str, tuple[str, Severity, str]] = {
    # name: (code, default severity, one-line description)
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
    "cite-unknown": ("FMKB301", Severity.ERROR, "a citation names no bib entry"),
    "html-unsafe": ("FMKB601", Severity.ERROR, "raw HTML or a link that can run script or load foreign content"),
    "bib-syntax": ("FMKB401", Severity.ERROR, "a bib block does not parse"),
    "bib-duplicate-key": ("FMKB402", Severity.ERROR, "two bib entries share a key"),
    "bib-missing-field": ("FMKB403", Severity.ERROR, "a bib entry lacks a required field"),
    "bib-field-format": ("FMKB404", Severity.ERROR, "a bib field is malformed or lost"),
    "bib-duplicate-id": ("FMKB405", Severity.ERROR, "two bib entries share a DOI or arXiv id"),
    "bib-unused": ("FMKB406", Severity.WARNING, "no note cites a bib entry"),
    "url-dead": ("FMKB501", Severity.WARNING, "an external link does not answer, or answers with an error"),
    "url-redirect": ("FMKB502", Severity.WARNING, "an external link has moved permanently"),
}


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
        return RULES[self.rule][0]


def diag(path: str, line: int, column: int, rule: str, message: str, hint: str | None = None) -> Diagnostic:
    """Build a diagnostic with the rule's default severity."""
    return Diagnostic(path, line, column, rule, message, hint, RULES[rule][1])


def to_rows(ds: list[Diagnostic]) -> list[list]:
    """Diagnostics as plain lists: for JSON caches and for sending to another process."""
    return [[d.path, d.line, d.column, d.rule, d.message, d.hint, d.severity.value] for d in ds]


def from_rows(rows: list) -> list[Diagnostic]:
    """The inverse of `to_rows`; raises ValueError or TypeError on a malformed row."""
    return [
        Diagnostic(str(p), int(line), int(col), str(rule), str(msg), None if hint is None else str(hint), Severity(sev))
        for p, line, col, rule, msg, hint, sev in rows
    ]


def sort_key(d: Diagnostic) -> tuple:
    return (d.path, d.line, d.column, d.rule, d.message)


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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(diagnostics: list[Diagnostic], summary: Summary) -> str:
    lines = []
    for d in diagnostics:
        lines.append(f"{d.path}:{d.line}:{d.column}: {d.severity.value}: {d.message} [{d.rule}]")
        if d.hint:
            lines.append(f"    hint: {d.hint}")
    lines.append(
        f"{_plural(summary.errors, 'error')}, {_plural(summary.warnings, 'warning')} "
        f"in {_plural(summary.notes, 'note')} "
        f"({_plural(summary.links, 'link')}, {_plural(summary.citations, 'citation')})"
    )
    return "\n".join(lines) + "\n"


def _escape_data(s: str) -> str:
    # GitHub workflow-command escaping for the message part.
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: list[Diagnostic], summary: Summary) -> str:
    lines = []
    for d in diagnostics:
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
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
                "path": d.path,
                "line": d.line,
                "column": d.column,
                "severity": d.severity.value,
                "rule": d.rule,
                "code": d.code,
                "message": d.message,
                "hint": d.hint,
            }
            for d in diagnostics
        ],
        "summary": asdict(summary),
    }
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"text": render_text, "github": render_github, "json": render_json}

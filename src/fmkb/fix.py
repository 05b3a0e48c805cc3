"""`fmkb check --fix`: mechanical fixes for problems the check reported, and nothing else.

Fixed: a wiki-link spelt in another case than its file (`link-case`), a link to a title or
alias where Obsidian needs the file name (`link-by-title`, when the policy turns it on), a
Markdown link whose path differs from the file's only in case (`md-link-unresolved`), and
a paper's `year` that disagrees with its bibliography entry (`paper-cite`). Each fix belongs
to a diagnostic in the report (same note, line, column and rule), so a note the check did
not report is never touched; a fixed vault has nothing left to fix.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from dataclasses import dataclass, field

from .check import spelling
from .edits import Edit, EditRefused, apply_edits
from .engine import Analysis
from .fsutil import replace_file
from .model import Note
from .resolve import check_link, check_md_link, md_target, notes_at


@dataclass
class FixPlan:
    edits: dict[str, bytes] = field(default_factory=dict)  # absolute path -> fixed bytes
    originals: dict[str, bytes] = field(default_factory=dict)
    fixed: int = 0  # problems fixed
    diff: str = ""


def plan_fixes(analysis: Analysis) -> FixPlan:
    reported = {(d.path, d.line, d.column, d.rule) for d in analysis.report.diagnostics}
    plan = FixPlan()
    diffs = []
    for note in analysis.vault.notes:
        shown = analysis.vault.prefix + note.path
        edits = [edit for rule, line, col, edit in _fixes(note, analysis) if (shown, line, col, rule) in reported]
        if not edits:
            continue
        path = os.path.join(analysis.vault.root, note.path)
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            fixed = apply_edits(raw, note.text, edits, shown)
        except EditRefused:
            continue  # mixed line ends or changed meanwhile: left for a person
        plan.originals[path], plan.edits[path] = raw, fixed
        plan.fixed += len(edits)
        before = raw.decode("utf-8", "replace").splitlines(keepends=True)
        after = fixed.decode("utf-8", "replace").splitlines(keepends=True)
        diffs.append("".join(difflib.unified_diff(before, after, f"a/{shown}", f"b/{shown}")))
    plan.diff = "".join(diffs)
    return plan


def apply_fixes(plan: FixPlan) -> None:
    """Each file replaced atomically, and only if it still holds what was read."""
    for path, data in plan.edits.items():
        replace_file(path, data, plan.originals[path])


def _fixes(note: Note, analysis: Analysis) -> list[tuple[str, int, int, Edit]]:
    """(rule, line, column, edit) for every mechanical fix in this note."""
    index, bib = analysis.index, analysis.bib
    out: list[tuple[str, int, int, Edit]] = []
    for link in note.links:
        if link.start < 0 or not link.target:
            continue
        res, problem = check_link(index, note, link)
        if problem is None and res.note is not None:
            spelt = spelling(note, link, res, index)
            if spelt is not None:
                out.append((spelt.rule, link.line, link.column, (link.start, link.end, spelt.fixed)))
    for md in note.md_links:
        res, problem = check_md_link(index, note, md, lambda _n: [])
        if problem is None or problem.rule != "md-link-unresolved" or md.start < 0:
            continue
        found = md_target(note.path, md.dest)
        exact = notes_at(index, found[0]) if found else []
        if len(exact) == 1:
            path, sep, rest = md.dest.partition("#")
            new = posixpath.relpath(exact[0].path, posixpath.dirname(note.path) or ".")
            if path.startswith("/"):
                new = "/" + exact[0].path
            if "%" in path:
                from urllib.parse import quote

                new = quote(new, safe="/")
            out.append(("md-link-unresolved", md.line, md.column, (md.start, md.end, new + sep + rest)))
    key, year = note.meta.get("cite"), note.meta.get("year")
    if note.kind == "paper" and isinstance(key, str) and key in bib.entries and isinstance(year, int):
        wanted = bib.entries[key].fields.get("year", "").strip()
        if wanted.isdigit() and int(wanted) != year and "year" in note.meta_positions:
            line, col = note.meta_positions["year"]
            start = _offset(note, line, col)
            m = _YEAR.match(note.text, start)
            if m:
                out.append(("paper-cite", line, col, (m.start(1), m.end(1), wanted)))
    return out


# `year: 2019`, `year: '2019'`: four digits and nothing else (a YAML 0x7E3 or 2_019 is left to a person)
_YEAR = re.compile(r"year[ \t]*:[ \t]*((['\"]?)\d{4}\2)(?=[ \t]*(?:#|$))", re.M)


def _offset(note: Note, line: int, col: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = note.text.index("\n", start) + 1
    return start + col - 1

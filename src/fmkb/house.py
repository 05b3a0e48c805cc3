"""House rules: a vault's own policy for its notes (links, orphans, length, sections, facts).

Each rule is off unless the vault's `rules:` option turns it on; the thresholds are its
parameters (`policy.HOUSE_PARAMS`). Pure functions over a note and what its links reached.
"""

from __future__ import annotations

import re

from .diagnostics import Diagnostic, diag
from .model import Note
from .policy import RulePolicy

_WORD = re.compile(r"[^\W_][\w'’.-]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r" *(?:[-*+]|\d+[.)]) +")
_MD_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_REF_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\[[^\[\]\n]*\]")
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DEFINITION_LINE = re.compile(r" {0,3}\[[^\]\n]+\]:")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
_LINK_OPEN, _LINK_CLOSE = "\x01", "\x02"  # around the words a link shows
_LINKED = re.compile("\x01[^\x02]*\x02")


def note_rules(note: Note, shown: str, targets: set[str], rules: RulePolicy) -> list[Diagnostic]:
    """The per-note house rules that are on for this note."""
    out: list[Diagnostic] = []
    at = _body_line(note)
    if rules.applies("note-few-links", note.path):
        wanted = rules.param("note-few-links", "min")
        if len(targets) < wanted:
            notes = f"{len(targets)} other note{'s' if len(targets) != 1 else ''}"
            out.append(
                diag(
                    shown,
                    at,
                    1,
                    "note-few-links",
                    f"links to {notes}; the policy asks for {wanted}",
                    "link the notes this one builds on or relates to, e.g. [[Scaling laws]]",
                )
            )
    if rules.applies("note-short", note.path):
        by_kind = rules.param("note-short", "by_kind")
        wanted = by_kind.get(note.kind, rules.param("note-short", "min_words"))
        words = own_words(note)
        if words < wanted:
            out.append(
                diag(
                    shown,
                    at,
                    1,
                    "note-short",
                    f"{words} words of its own prose; the policy asks for {wanted} for a {note.kind} note",
                    "quotes, lists of links, citations, code and headings do not count; say more in your own words",
                )
            )
    if note.kind == "paper" and rules.applies("paper-sections", note.path):
        have = {h.text.strip().casefold() for h in note.headings}
        lacking = [s for s in rules.param("paper-sections", "sections") if s.casefold() not in have]
        if lacking:
            out.append(
                diag(
                    shown,
                    _last_line(note),
                    1,
                    "paper-sections",
                    "paper note lacks the section" + ("s " if len(lacking) > 1 else " ") + ", ".join(lacking),
                    "add " + ", ".join(f"'## {s}'" for s in lacking),
                )
            )
    if note.kind == "model" and rules.applies("model-facts", note.path):
        lacking = [f for f in rules.param("model-facts", "fields") if _blank(note.meta.get(f))]
        if lacking:
            line, col = note.meta_positions.get("kind", (1, 1))
            out.append(
                diag(
                    shown,
                    line,
                    col,
                    "model-facts",
                    "model note does not state " + ", ".join(lacking),
                    "add to the front matter: " + "; ".join(f"{f}: ..." for f in lacking),
                )
            )
    for rule, key, example in (
        ("note-description", "description", "description: One sentence on what this note covers."),
        ("note-tags", "tags", "tags: [topic]"),
    ):
        if rules.applies(rule, note.path) and _blank(note.meta.get(key)):
            out.append(diag(shown, 1, 1, rule, f"note has no {key}", f"add to the front matter: {example}"))
    return out


def orphans(paths: list[str], linked: set[str], rules: RulePolicy, prefix: str) -> list[Diagnostic]:
    """Notes no other note links to (by wiki-link, embed or Markdown link)."""
    if not rules.on("note-orphan"):
        return []
    return [
        diag(
            prefix + path,
            1,
            1,
            "note-orphan",
            "no other note links to this note",
            "link to it from a related note or an index, e.g. [[" + path.rsplit("/", 1)[-1].removesuffix(".md") + "]]",
        )
        for path in paths
        if path not in linked and rules.applies("note-orphan", path)
    ]


def own_words(note: Note) -> int:
    """Words of the note's own prose: front matter, headings, code, quotes, comments, citations
    and list items made only of links left out; a link counts as the words it shows."""
    text = note.text
    spans = [(c.start, c.end, "") for c in note.citations]
    spans += [(start, end, "") for start, end in note.comments]
    for link in note.links:
        if not link.in_frontmatter and link.start >= note.body_start:
            shown = link.label or link.target.rsplit("/", 1)[-1] or " ".join(link.headings)
            spans.append((link.start, link.end, _LINK_OPEN + shown + _LINK_CLOSE))
    parts: list[str] = []
    last = note.body_start
    for start, end, keep in sorted(spans):
        if start >= last:
            parts.extend((text[last:start], " ", keep, " "))
            last = end
    parts.append(text[last:])
    text = _COMMENT.sub(" ", "".join(parts))
    words = 0
    fence = ""
    nested = False  # inside a list item or an admonition: indented lines are its prose, not code
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
            continue
        if m:
            fence = m.group(1)
            continue
        stripped = line.strip()
        if not stripped:
            continue
        indented = line.startswith(("    ", "\t"))
        if not indented:
            nested = bool(_LIST_ITEM.match(line)) or stripped.startswith(("!!!", "???"))
        if stripped.startswith(("!!!", "???")):
            continue  # the admonition's title line
        if stripped.startswith((">", "#", "|")) or (indented and not nested) or _DEFINITION_LINE.match(line):
            continue
        if i + 1 < len(lines) and _SETEXT.fullmatch(lines[i + 1]) and not _LIST_ITEM.match(line):
            continue  # a heading underlined with === or ---
        if _SETEXT.fullmatch(line):
            continue
        line = _CODE_SPAN.sub(" ", line)
        line = _MD_LINK.sub(lambda m: _LINK_OPEN + m.group(1) + _LINK_CLOSE, line)
        line = _REF_LINK.sub(lambda m: _LINK_OPEN + m.group(1) + _LINK_CLOSE, line)
        item = _LIST_ITEM.match(line)
        if item and not _WORD.search(_LINKED.sub(" ", line[item.end() :])):
            continue  # a list item of links only
        words += len(_WORD.findall(line[item.end() :] if item else line))
    return words


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | dict):
        return not value or (isinstance(value, str) and not value.strip())
    return False


def _body_line(note: Note) -> int:
    return note.text.count("\n", 0, note.body_start) + 1


def _last_line(note: Note) -> int:
    return note.text.rstrip("\n").count("\n") + 1

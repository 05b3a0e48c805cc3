"""Publish: a note's body as the site publishes it, for the plugin and for the check alike.

The plugin renders a page in three MkDocs hooks (fmkb's links and citations into the
Markdown, Markdown into HTML, the stashed fragments back in, then the sanitizer);
`note_html_parts` runs the same steps in one call, so that `fmkb check` judges the HTML a
reader would get, never a private view of the note.
"""

from __future__ import annotations

import itertools
import re

import markdown as md_lib

from .config import MarkdownSetup
from .model import Note
from .render import BibView, PageContext, Stash, aliases_line, insert_after_h1, model_facts, paper_card, render_body


class HeadingIds:
    """A note's heading ids as the configured toc extension makes them (attr_list ids,
    slug function, separator, `_1` suffixes for duplicates): taken from the toc extension
    itself by rendering the note's heading lines, never from a second slug implementation.

    Headings of plain words and spaces, which no inline pattern changes, skip rendering
    and go straight through the toc extension's own `slugify` and `unique`. Ids are kept
    per note path and text for the life of the object (one build or one check)."""

    def __init__(self, setup: MarkdownSetup) -> None:
        self.setup = setup
        self.slugify, self.separator = setup.slugify()
        self._renderer: md_lib.Markdown | None = None
        self._memo: dict[str, tuple[str, list[str]]] = {}

    def __call__(self, note: Note) -> list[str]:
        memo = self._memo.get(note.path)
        if memo is not None and memo[0] is note.text:
            return memo[1]
        if not note.text:  # known by its identity only (a stub, or a large check's note between parse and check)
            return self._plain(note)
        lines = note.text.split("\n")
        sources = [_heading_source(lines, h.line) for h in note.headings]
        plain = all(_PLAIN_HEADING.fullmatch(src) for src in sources)
        ids = self._plain(note) if plain else self._rendered(sources)
        if ids is None:  # the renderer failed on a heading (the page itself is then a notice)
            ids = self._plain(note)
        self._memo[note.path] = (note.text, ids)
        return ids

    def forget(self, path: str) -> None:
        """Drop a note's ids, and the text they were kept with (a lean check drops that text)."""
        self._memo.pop(path, None)

    def _plain(self, note: Note) -> list[str]:
        from markdown.extensions.toc import unique

        used: set[str] = set()
        return [unique(self.slugify(h.text, self.separator), used) for h in note.headings]

    def _rendered(self, sources: list[str]) -> list[str] | None:
        if self._renderer is None:
            self._renderer = self.setup.renderer()
        doc = "\n\n".join(sources)
        self._renderer.reset()
        try:
            self._renderer.convert(doc)
        except Exception:  # e.g. html.parser on '<![x]': a link to the note must not fail with it
            self._renderer = None
            return None
        ids: list[str] = []
        stack = list(reversed(getattr(self._renderer, "toc_tokens", [])))
        while stack:
            token = stack.pop()
            ids.append(token["id"])
            stack.extend(reversed(token.get("children", [])))
        return ids


# a heading line whose text no inline pattern or attr_list can change: `## Key results`,
# or a setext pair
_PLAIN_HEADING = re.compile(r"(?:#{1,6} +[A-Za-z0-9][A-Za-z0-9 ,.?'-]*|[A-Za-z0-9][A-Za-z0-9 ,.?'-]*\n(?:=+|-+))")


def _heading_source(lines: list[str], line: int) -> str:
    """The Markdown of the heading at 1-based `line`: an ATX line, or a setext pair."""
    text = lines[line - 1]
    if text.lstrip(" ").startswith("#"):
        return text.strip()
    under = lines[line] if line < len(lines) else ""
    return text.strip() + "\n" + under.strip()


def renderer_failure(error: Exception) -> tuple[str, str]:
    """(message, hint) for a note the renderer failed on: the check reports it, the plugin
    publishes a notice in its place, and neither stops."""
    if isinstance(error, RecursionError):
        return "not published: the renderer ran out of stack on its nesting", "nest lists, quotes or emphasis less"
    reason = " ".join(str(error).split())[:120]
    return (
        f"not published: the renderer failed on it ({type(error).__name__}: {reason})",
        "look for unusual HTML such as '<![' declarations",
    )


def note_header(
    note: Note, view: BibView, paper_href: str | None, cited_in: list[tuple[str, str]] | None = None
) -> str:
    """What fmkb puts under a note's title: its aliases, a model's facts, a paper's card."""
    head = aliases_line(note)
    if note.kind == "model":
        head += model_facts(note, view, paper_href)
    elif note.kind == "paper":
        head += paper_card(note, view, cited_in)
    return head


def page_markdown(note: Note, ctx: PageContext, view: BibView, stash: Stash, header: str) -> tuple[str, list[str]]:
    """The Markdown the renderer gets for a note (links and citations stashed, the header
    under the title), and the keys it cites: the one step the plugin and the check share."""
    body, cited = render_body(note, note.text[note.body_start :], ctx, view, stash)
    return insert_after_h1(body, header), cited


def note_html_parts(note: Note, ctx: PageContext, view: BibView, renderer: md_lib.Markdown) -> tuple[str, str]:
    """(the renderer's HTML before fmkb's links and citations are put in, the HTML after):
    the first holds only the links Markdown itself made."""
    stash = Stash()
    body, _ = page_markdown(note, ctx, view, stash, note_header(note, view, "../paper/"))
    renderer.reset()
    unfilled = renderer.convert(body)
    return unfilled, stash.fill(unfilled)


# Python-Markdown takes time quadratic in a block's length or in its '[' count (4,000
# '[' in one paragraph: 2.5 s; 20,000: 90 s), so a note past these limits is neither
# rendered by the check nor published: it is reported (`note-too-complex`) instead.
MAX_BLOCK_CHARS = 100_000
MAX_BLOCK_BRACKETS = 1_000
# Python-Markdown recurses once per nesting level (1,000 nested list items or 2,000 '*'
# around a word raise RecursionError): a line nested deeper than this, or a longer run of
# emphasis marks, is refused too.
MAX_NESTING = 150
MAX_MARK_RUN = 100
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n")
# a line start followed by a long run of markers (a literal '\n' first: `re` then skips ahead fast)
_LONG_PREFIX = re.compile(rf"\n(?:[ \t>*+\-]|\d{{1,9}}[.)]){{{MAX_NESTING + 1},}}")
_LEVEL = re.compile(r">|(?:[*+\-]|\d{1,9}[.)])(?=[ \t])| {4}|\t")  # a quote, list or indentation level
MAX_BLOCK_MARKS = 600  # '*' and '_' in one paragraph: each pair nests the tree one level
MAX_HEADINGS = 1_000  # the toc extension numbers duplicate ids in time quadratic in their count
MAX_HTML_TAGS = 2_000  # raw HTML tags in one note (each may nest the page a level deeper)
_TAG_OPEN = re.compile(r"<[A-Za-z]")
_MARK_RUN = re.compile(rf"[*_~=^]{{{MAX_MARK_RUN + 1},}}")


def too_complex(note: Note) -> tuple[int, str] | None:
    """(offset, reason) when a block of the note is past what the renderer handles in
    reasonable time; wiki-links and citations do not count (the renderer never sees them)."""
    text = note.text
    head = _LONG_PREFIX.match("\n" + text[note.body_start : note.body_start + 4 * MAX_NESTING])  # first line
    deep = [(note.body_start - 1, head)] if head else []
    for found in itertools.chain(deep, ((m.start(), m) for m in _LONG_PREFIX.finditer(text, note.body_start))):
        if len(_LEVEL.findall(found[1].group())) > MAX_NESTING:
            return found[0] + 1, f"lists or quotes nested more than {MAX_NESTING} levels deep"
    if any(mark * (MAX_MARK_RUN + 1) in text for mark in "*_~=^"):
        run = _MARK_RUN.search(text, note.body_start)
        if run:
            return run.start(), f"a run of {run.end() - run.start():,} emphasis marks (at most {MAX_MARK_RUN})"
    if len(note.headings) > MAX_HEADINGS:
        return note.body_start, f"{len(note.headings):,} headings (at most {MAX_HEADINGS:,})"
    if text.count("<", note.body_start) > MAX_HTML_TAGS:  # nesting them costs the search indexer quadratic time
        tags = [m.start() for m in _TAG_OPEN.finditer(text, note.body_start)]
        if len(tags) > MAX_HTML_TAGS:
            return tags[MAX_HTML_TAGS], f"{len(tags):,} raw HTML tags (at most {MAX_HTML_TAGS:,})"
    marks = text.count("*", note.body_start) + text.count("_", note.body_start)
    if (
        len(text) - note.body_start <= MAX_BLOCK_CHARS
        and text.count("[", note.body_start) <= MAX_BLOCK_BRACKETS
        and marks <= MAX_BLOCK_MARKS
    ):
        return None  # no paragraph can pass any limit
    spans = sorted(
        [(x.start, x.end) for x in note.links if not x.in_frontmatter] + [(c.start, c.end) for c in note.citations]
    )
    start = note.body_start
    k = 0
    for end in [m.start() for m in _BLOCK_BREAK.finditer(text, start)] + [len(text)]:
        if end - start > MAX_BLOCK_CHARS:
            return start, f"a paragraph of {end - start:,} characters (at most {MAX_BLOCK_CHARS:,})"
        block_marks = text.count("*", start, end) + text.count("_", start, end)
        if block_marks > MAX_BLOCK_MARKS:
            return start, f"a paragraph with {block_marks:,} '*' and '_' (at most {MAX_BLOCK_MARKS:,})"
        brackets = text.count("[", start, end)
        if brackets > MAX_BLOCK_BRACKETS:
            while k < len(spans) and spans[k][1] <= start:
                k += 1
            j = k
            while j < len(spans) and spans[j][0] < end:
                brackets -= text.count("[", spans[j][0], spans[j][1])
                j += 1
            if brackets > MAX_BLOCK_BRACKETS:
                return start, f"a paragraph with {brackets:,} '[' (at most {MAX_BLOCK_BRACKETS:,})"
        start = end + 1
    return None

"""Check: run every rule over a loaded vault and bibliography."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .bibliography import Bibliography
from .config import MarkdownSetup, Settings
from .diagnostics import Diagnostic, diag, sort_key
from .house import note_rules, orphans
from .links import rendered_links
from .model import Note, WikiLink
from .policy import RulePolicy
from .publish import HeadingIds, note_html_parts, renderer_failure, too_complex
from .render import BibView, PageContext, block_anchor
from .resolve import (
    Index,
    Resolution,
    check_link,
    check_md_link,
    cited_items,
    exact_file_name,
    link_name,
    written_target,
)
from .sanitize import Policy, markup_in_text, unsafe_parts
from .scan import LineIndex, may_link_in_site
from .schema import check_frontmatter, frontmatter_bib_keys


@dataclass(slots=True)
class HtmlView:
    """How the site turns a note into HTML (its Markdown setup) and what it lets through (its
    policy): the check reports what the published page's sanitizer would remove."""

    setup: MarkdownSetup
    policy: Policy
    _renderer: Any = None
    _ids: HeadingIds | None = None

    @staticmethod
    def of(settings: Settings) -> HtmlView:
        return HtmlView(settings.markdown, Policy.allowing(settings.allow_html, tuple(settings.markdown.names)))

    def heading_ids(self) -> HeadingIds:
        if self._ids is None:
            self._ids = HeadingIds(self.setup)
        return self._ids

    def forget_renderer(self) -> None:
        self._renderer = None

    def anchors(self, note: Note) -> list[str]:
        """The anchors of a note's page: its headings' ids, and its block ids'."""
        return [*self.heading_ids()(note), *(block_anchor(b) for b in note.block_ids)]

    def renderer(self) -> Any:
        if self._renderer is None:
            self._renderer = self.setup.renderer()
        return self._renderer


@dataclass(slots=True)
class Report:
    """The verdict on a vault: every diagnostic, sorted by place, and what was counted."""

    diagnostics: list[Diagnostic]
    notes: int
    links: int
    citations: int
    cited: dict[str, list[str]]  # bib key -> note paths citing it (front matter included)


@dataclass(slots=True)
class NoteResult:
    """What checking one note yields: enough to reuse it later without reading the note again."""

    diagnostics: list[Diagnostic]
    links: int
    citations: int
    cited: list[str]  # bib keys in the order they were counted (see `NotesResult.cited`)
    # What the result read of other notes, so a later run knows when to check it again:
    keys: list[str] = field(default_factory=list)  # index keys its links were looked up under
    unresolved: bool = False  # a link named no note: its hint reads every note's names
    bib_keys: list[str] = field(default_factory=list)  # bib keys it looked up (citations, front matter)
    bib_hints: bool = False  # a key was not found: its hint reads every bib key
    targets: list[str] = field(default_factory=list)  # the other notes its links reach (for orphans)


@dataclass(slots=True)
class NotesResult:
    """What checking a set of notes yields; results for two halves of a vault merge."""

    diagnostics: list[Diagnostic]
    links: int
    citations: int
    cited: dict[str, list[str]]
    each: dict[str, NoteResult]  # note path -> its own share of the above
    linked: set[str] = field(default_factory=set)  # the notes their links reach

    @staticmethod
    def of(each: dict[str, NoteResult]) -> NotesResult:
        """The notes' results merged, in the order of `each`."""
        out: list[Diagnostic] = []
        cited: dict[str, list[str]] = {}
        linked: set[str] = set()
        n_links = n_cites = 0
        for path, one in each.items():
            out.extend(one.diagnostics)
            n_links += one.links
            n_cites += one.citations
            linked.update(one.targets)
            for key in one.cited:
                cited.setdefault(key, []).append(path)
        return NotesResult(out, n_links, n_cites, cited, each, linked)


def finish(
    found: list[Diagnostic],
    bib: Bibliography,
    parts: list[NotesResult],
    paths: list[str],
    rules: RulePolicy,
    prefix: str,
) -> Report:
    """The report: what loading `found`, per-notes results merged, the vault-wide rules
    (unused entries, orphans), and the policy applied (rules off dropped, severities set)."""
    out: list[Diagnostic] = [*found, *bib.diagnostics]
    cited: dict[str, list[str]] = {}
    linked: set[str] = set()
    for part in parts:
        out.extend(part.diagnostics)
        linked |= part.linked
        for key, cites in part.cited.items():
            cited.setdefault(key, []).extend(cites)
    out.extend(orphans(paths, linked, rules, prefix))
    for key, entry in bib.entries.items():
        if key not in cited:
            out.append(
                diag(
                    bib.path,
                    entry.line,
                    1,
                    "bib-unused",
                    f"no note cites '{key}'",
                    f"cite it as [@{key}] in a note, or remove the entry",
                )
            )
    out = rules.apply(out)
    out.sort(key=sort_key)
    return Report(out, len(paths), sum(p.links for p in parts), sum(p.citations for p in parts), cited)


def check_notes(
    notes: Iterable[Note], index: Index, bib: Bibliography, html: HtmlView, prefix: str, rules: RulePolicy
) -> NotesResult:
    """The per-note rules for `notes`, against an index of the whole vault."""
    ctx, view = _page_context(index, bib, html)
    return NotesResult.of(
        {note.path: check_note(note, index, bib, html, prefix + note.path, rules, ctx, view) for note in notes}
    )


def check_note(
    note: Note,
    index: Index,
    bib: Bibliography,
    html: HtmlView,
    shown: str,
    rules: RulePolicy,
    ctx: PageContext | None = None,
    view: BibView | None = None,
) -> NoteResult:
    """The per-note rules for one note. Pure: the same note, index and bibliography give the same result."""
    out: list[Diagnostic] = []
    keys = bib.entries
    cited: list[str] = list(frontmatter_bib_keys(note))
    counted = set(cited)  # a key the front matter names counts once more only there
    n_links = n_cites = 0
    looked_up: set[str] = set()
    unresolved = False
    targets: set[str] = set()
    for link in note.links:
        n_links += 1
        res, problem = check_link(index, note, link)
        looked_up.update(res.keys)
        unresolved = unresolved or res.rule == "link-unresolved"
        if problem:
            out.append(diag(shown, link.line, link.column, problem.rule, problem.message, problem.hint))
            continue
        if res.note is not None and link.target:
            spelt = spelling(note, link, res, index)
            if spelt is not None:
                out.append(diag(shown, link.line, link.column, spelt.rule, spelt.message, f"write {spelt.fixed}"))
        if res.note is not None and res.note.path != note.path:
            targets.add(res.note.path)
    if ctx is None or view is None:
        ctx, view = _page_context(index, bib, html)
    page = _render(note, shown, html, ctx, view)
    if isinstance(page, Diagnostic):
        out.append(page)
    elif page is not None:
        unfilled, published = page
        out.extend(unsafe_html(note, shown, html, published))
        anchors: dict[str, set[str]] = {}

        def anchors_of(target: Note) -> set[str]:
            if target.path not in anchors:
                anchors[target.path] = set(html.anchors(target))
            return anchors[target.path]

        for md in rendered_links(note, unfilled):
            n_links += 1
            res, problem = check_md_link(index, note, md, anchors_of)
            looked_up.update(res.keys)
            unresolved = unresolved or res.rule == "md-link-unresolved"
            if problem:
                out.append(diag(shown, md.line, md.column, problem.rule, problem.message, problem.hint))
            if res.note is not None and res.note.path != note.path:
                targets.add(res.note.path)
    for key in ("title", "description", "subtitle", "aliases", "tags"):
        values = note.meta.get(key)
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str) and markup_in_text(value):
                line, col = note.meta_positions.get(key, (1, 1))
                out.append(
                    diag(
                        shown,
                        line,
                        col,
                        "html-unsafe",
                        f"front matter '{key}' contains HTML markup",
                        "write plain text; it is shown escaped on the site",
                    )
                )
                break
    for citation in note.citations:
        for item in cited_items(citation, keys):
            n_cites += 1
            if item.key in keys:
                if item.key not in counted:
                    counted.add(item.key)
                    cited.append(item.key)
                continue
            why, hint = bib.unknown_key(item.key)
            out.append(diag(shown, item.line, item.column, "cite-unknown", f"citation key '@{item.key}': {why}", hint))
    out.extend(note_rules(note, shown, targets, rules))
    diagnostics = [*check_frontmatter(note, shown, bib), *out]
    bib_keys = {item.key for citation in note.citations for item in citation.items}
    bib_keys.update(frontmatter_bib_keys(note))
    bib_hints = any(d.rule in ("cite-unknown", "paper-cite") for d in diagnostics)
    return NoteResult(
        diagnostics,
        n_links,
        n_cites,
        cited,
        sorted(looked_up),
        unresolved,
        sorted(bib_keys),
        bib_hints,
        sorted(targets) if rules.on("note-orphan") else [],  # kept (and cached) only for the orphan rule
    )


_OTHER_LINKS_AND_CODE = re.compile(r"!?\[\[[^\[\]\n]*\]\]|`[^`\n]*`")  # their '|' is no cell's


@dataclass(frozen=True, slots=True)
class Spelling:
    rule: str
    message: str
    fixed: str  # the link as it should be written


def spelling(note: Note, link: WikiLink, res: Resolution, index: Index) -> Spelling | None:
    """How a link that resolves should be spelt, when Obsidian (which finds notes by file name)
    would not find it as written, or only on a case-blind disk."""
    target = res.note
    assert target is not None
    start, end = written_target(link.raw)
    if res.via == "file":
        exact = exact_file_name(note.path, link.target, target.path)
        if exact is None:
            return None
        fixed = link.raw[:start] + exact + link.raw[end:]
        return Spelling("link-case", f"wiki-link {link.raw} spells '{target.stem}' in another case", fixed)
    name = link_name(index, target)
    rest = link.raw[end:-2]
    # on a line with another '|' (a table row, with or without outer pipes, in a quote or a list)
    # the label separator is written \| (Obsidian's way, which fmkb reads too), or it would end the cell
    line_start = note.text.rfind("\n", 0, max(link.start, 0)) + 1
    line_end = note.text.find("\n", max(link.start, 0))
    stop = None if line_end == -1 else line_end
    rest_of_line = note.text[line_start : max(link.start, 0)] + note.text[link.end : stop]
    bar = "\\|" if "|" in _OTHER_LINKS_AND_CODE.sub("", rest_of_line) else "|"
    label = "" if "|" in rest else bar + link.target
    fixed = link.raw[:start] + name + rest + label + "]]"
    return Spelling("link-by-title", f"wiki-link {link.raw} names '{name}' by its title or an alias", fixed)


def _page_context(index: Index, bib: Bibliography, html: HtmlView) -> tuple[PageContext, BibView]:
    """What rendering a note needs; the URLs are placeholders (fmkb's own fragments are escaped,
    so where they point changes nothing the sanitizer sees)."""
    return PageContext(index, html.heading_ids(), lambda path: "../" + path), BibView(bib)


def _render(
    note: Note, shown: str, html: HtmlView, ctx: PageContext, view: BibView
) -> tuple[str, str] | Diagnostic | None:
    """The note's page as the site renders it, (before and after fmkb's own links and citations
    are put in), when the check needs it: when it may hold markup the sanitizer removes, or a
    Markdown link to a file of the site. A note the renderer cannot take is a diagnostic."""
    complex_at = too_complex(note)
    if complex_at is not None:
        line, col = LineIndex(note.text).position(complex_at[0])
        return diag(
            shown,
            line,
            col,
            "note-too-complex",
            f"not published: {complex_at[1]} would take the renderer too long",
            "split or simplify it (the limits are listed in SECURITY.md)",
        )
    body = note.text[note.body_start :]
    markup = html.setup.may_publish_markup(body)
    if not markup and not may_link_in_site(body):
        return None
    try:
        unfilled, published = note_html_parts(note, ctx, view, html.renderer())
    except Exception as e:  # the site publishes a notice instead (the plugin catches it the same way)
        html.forget_renderer()  # it may be left half-way through the note
        line, col = LineIndex(note.text).position(note.body_start)
        return diag(shown, line, col, "note-too-complex", *renderer_failure(e))
    return unfilled, (published if markup else "")


def unsafe_html(note: Note, shown: str, html: HtmlView, published: str) -> list[Diagnostic]:
    """`html-unsafe`: what the sanitizer removes from the note's published HTML, at the place
    in the note it most likely comes from."""
    if not published:
        return []
    found = unsafe_parts(published, html.policy)
    if not found:
        return []
    lower = note.text.lower()
    index = LineIndex(note.text)
    out: list[Diagnostic] = []
    seen: set[tuple[int, int, str]] = set()
    for part in found:
        at = -1
        for needle in part.needles:
            at = lower.find(needle.lower(), note.body_start)
            if at != -1:
                break
        line, col = index.position(at if at != -1 else note.body_start)
        if (line, col, part.problem) in seen:
            continue
        seen.add((line, col, part.problem))
        hint = (
            "remove it; allowed tags can be set with the plugin's allow_html option"
            if part.problem.startswith("raw HTML")
            else "remove it: the site drops it"
        )
        out.append(diag(shown, line, col, "html-unsafe", part.problem, hint))
    return out

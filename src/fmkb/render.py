"""Render: turn the engine's findings into Markdown/HTML for the site.

Pure functions over the engine's data objects. The plugin gives them URLs and
the slug function of the configured `toc` extension; nothing here re-parses a
note or the bibliography. Every string that comes from a note's front matter or
from references.bib is HTML-escaped before it reaches a page.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import html
import posixpath
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .bibliography import BibEntry, Bibliography, arxiv_id
from .model import Citation, Note, WikiLink
from .resolve import Index, check_link, cited_items

HeadingIds = Callable[[Note], list[str]]  # a note's heading ids, in order, as the toc extension makes them
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"}

esc = html.escape


# --- bibliography display ----------------------------------------------------

_LATEX_HINT = re.compile(r"[\\{}$~]")
_LATEX_COMMAND = re.compile(r"[\\$~]")


@functools.cache
def _latex_decoder():
    """One decoder per process: building pylatexenc's macro tables costs about a millisecond."""
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def decode_latex(value: str) -> str:
    """LaTeX to Unicode text, only when the value has LaTeX in it (decoding is slow)."""
    if not _LATEX_HINT.search(value):
        return " ".join(value.split())
    if not _LATEX_COMMAND.search(value):  # braces only ({LLM}): nothing to decode
        return " ".join(value.replace("{", "").replace("}", "").split())
    try:
        text = _latex_decoder().latex_to_text(value)
    except Exception:  # malformed LaTeX: show it without braces rather than fail the build
        text = value.replace("{", "").replace("}", "")
    return " ".join(text.replace("\u00a0", " ").split())


def split_authors(value: str) -> list[str]:
    """A BibTeX name list split into names by bibtexparser's own rules ('and' outside braces,
    across line breaks)."""
    from bibtexparser.middlewares.names import split_multiple_persons_names

    return [n for n in (" ".join(p.split()) for p in split_multiple_persons_names(value)) if n]


@dataclass(frozen=True, slots=True)
class Person:
    """One author as shown: the family name for labels ('van den Oord'), the full name for
    reference lists ('Aaron van den Oord'); corporate names in braces stay whole."""

    family: str
    full: str


def person(raw: str) -> Person:
    """A raw BibTeX name split by bibtexparser (first, von, last, jr), each part decoded."""
    from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts

    try:
        parts = parse_single_name_into_parts(raw)
    except InvalidNameError:
        text = decode_latex(raw)
        return Person(text, text)
    family = decode_latex(" ".join([*parts.von, *parts.last]))
    full = decode_latex(" ".join([*parts.first, *parts.von, *parts.last]))
    if parts.jr:
        full += ", " + decode_latex(" ".join(parts.jr))
    return Person(family or full, full or family)


@dataclass(slots=True)
class BibView:
    """Display forms of bib entries, decoded lazily and cached for one build."""

    bib: Bibliography
    _decoded: dict[tuple[str, str], str] = field(default_factory=dict)
    _years: dict[str, str] = field(default_factory=dict)
    _authors: dict[str, tuple[list[Person], bool]] = field(default_factory=dict)
    _formatted: dict[str, str] = field(default_factory=dict)  # key -> formatted reference (escaped HTML)
    _labels: dict[str, str] = field(default_factory=dict)
    _people: dict[str, Person] = field(default_factory=dict)  # raw name -> parsed: authors recur across entries

    def person(self, raw: str) -> Person:
        memo = self._people.get(raw)
        if memo is None:
            memo = self._people[raw] = person(raw)
        return memo

    def field(self, key: str, name: str) -> str:
        memo = self._decoded.get((key, name))
        if memo is None:
            raw = self.bib.entries[key].fields.get(name, "")
            memo = self._decoded[(key, name)] = decode_latex(raw)
        return memo

    def authors(self, key: str) -> tuple[list[Person], bool]:
        memo = self._authors.get(key)
        if memo is None:
            raw = self.bib.entries[key].fields.get("author") or self.bib.entries[key].fields.get("editor") or ""
            names = split_authors(raw)
            more = bool(names) and names[-1].strip().lower() == "others"
            if more:
                names = names[:-1]
            memo = self._authors[key] = ([self.person(n) for n in names], more)
        return memo

    def label(self, key: str) -> str:
        """Kaplan | Kaplan and McCandlish | Kaplan et al. (Decodes only the names it shows.)"""
        memo = self._labels.get(key)
        if memo is not None:
            return memo
        raw = self.bib.entries[key].fields.get("author") or self.bib.entries[key].fields.get("editor") or ""
        names = split_authors(raw)
        more = bool(names) and names[-1].strip().lower() == "others"
        if more:
            names = names[:-1]
        lasts = [self.person(n).family for n in names[:2]]
        if not lasts:
            memo = self.field(key, "title") or key
        elif len(names) == 1 and not more:
            memo = lasts[0]
        elif len(names) == 2 and not more:
            memo = f"{lasts[0]} and {lasts[1]}"
        else:
            memo = f"{lasts[0]} et al."
        self._labels[key] = memo
        return memo

    def assign_years(self, keys: Iterable[str]) -> None:
        """Add a/b suffixes where two cited works share an author label and year."""
        groups: dict[tuple[str, str], list[str]] = {}
        for key in keys:
            if key in self.bib.entries:
                groups.setdefault((self.label(key), self.field(key, "year")), []).append(key)
        for (_, year), members in groups.items():
            if len(members) == 1:
                self._years[members[0]] = year or "n.d."
                continue
            for i, key in enumerate(sorted(members, key=lambda k: (self.field(k, "title").lower(), k))):
                self._years[key] = (year or "n.d.") + chr(ord("a") + i % 26)

    def year(self, key: str) -> str:
        return self._years.get(key) or self.field(key, "year") or "n.d."

    def venue(self, key: str) -> str:
        e = self.bib.entries[key]
        for name in ("journal", "booktitle", "howpublished", "institution", "publisher"):
            if e.fields.get(name):
                return self.field(key, name)
        if arxiv_id(e):
            return "arXiv preprint"
        return ""


def anchor_id(key: str) -> str:
    return "ref-" + re.sub(r"[^A-Za-z0-9_.:-]", "_", key)


def reference_html(view: BibView, key: str, element_id: str | None = None, extra: str = "") -> str:
    """One formatted entry: authors, year, title, venue, DOI/arXiv/URL links (all escaped)."""
    body = view._formatted.get(key)
    if body is None:
        body = view._formatted[key] = _reference_body(view, key)
    ident = f' id="{esc(element_id)}"' if element_id else ""
    return f"<li{ident}>{body}{extra}</li>"


def _reference_body(view: BibView, key: str) -> str:
    e: BibEntry = view.bib.entries[key]
    names, more = view.authors(key)
    shown = [n.full for n in names[:10]]
    authors = ", ".join(shown) + (", et al." if more or len(names) > 10 else "")
    parts = [f'<span class="fmkb-authors">{esc(authors)}</span>' if authors else ""]
    parts.append(f" ({esc(view.year(key))}). ")
    parts.append(f'<span class="fmkb-title">{esc(view.field(key, "title"))}</span>.')
    venue = view.venue(key)
    if venue:
        extra_bits = []
        if e.fields.get("volume"):
            extra_bits.append(esc(view.field(key, "volume")))
        if e.fields.get("pages"):
            extra_bits.append("pp. " + esc(view.field(key, "pages")))
        parts.append(f" <em>{esc(venue)}</em>{', ' + ', '.join(extra_bits) if extra_bits else ''}.")
    links = []
    doi = e.fields.get("doi", "").strip()
    if doi:
        links.append(
            f'<a class="fmkb-doi" href="https://doi.org/{esc(quote(doi, safe="/:;()._-"))}">doi:{esc(doi)}</a>'
        )
    aid = arxiv_id(e)
    if aid:
        links.append(
            f'<a class="fmkb-arxiv" href="https://arxiv.org/abs/{esc(quote(aid, safe="/._-"))}">arXiv:{esc(aid)}</a>'
        )
    url = e.fields.get("url", "").strip()
    if url and re.match(r"https?://", url) and not links:
        links.append(f'<a class="fmkb-url" href="{esc(url)}">{esc(url)}</a>')
    if links:
        parts.append(" " + " ".join(links))
    return "".join(parts)


# --- citations -----------------------------------------------------------------


def render_citation(c: Citation, view: BibView) -> str | None:
    """HTML for one citation, or None when the text is left as it is (an in-text handle)."""
    keys = view.bib.entries
    items = cited_items(c, keys)
    if not items:
        return None
    out = []
    for item in items:
        if item.key not in keys:
            raw = f"@{item.key}"
            out.append(
                f'<span class="fmkb-broken" title="{esc("unknown citation key: " + item.key)}">{esc(raw)}</span>'
            )
            continue
        href = "#" + anchor_id(item.key)
        year = esc(view.year(item.key))
        suffix = f", {esc(item.suffix)}" if item.suffix else ""
        if c.in_text:
            out.append(f'<a class="fmkb-cite" href="{href}">{esc(view.label(item.key))} ({year}{suffix})</a>')
            continue
        prefix = f"{esc(item.prefix)} " if item.prefix else ""
        text = year if item.suppress_author else f"{esc(view.label(item.key))}, {year}"
        out.append(f'{prefix}<a class="fmkb-cite" href="{href}">{text}</a>{suffix}')
    return "; ".join(out) if c.in_text else "(" + "; ".join(out) + ")"


REFERENCES_ID, BACKLINKS_ID, GRAPH_ID = "fmkb-references", "fmkb-backlinks", "fmkb-graph"


@dataclass(frozen=True, slots=True)
class Section:
    """A block fmkb adds at the end of a page: its heading's id and title (none for a line
    such as "cite this note") and its HTML. A renderer may place the heading itself."""

    id: str
    title: str
    body: str

    def html(self) -> str:
        return f'<h2 id="{self.id}">{self.title}</h2>\n{self.body}' if self.id else self.body


def references_section(
    keys: list[str],
    view: BibView,
    bibliography_url: str | None,
    note_url: Callable[[str], str | None] = lambda key: None,
) -> str:
    """The page's References, heading and list (`references_list`)."""
    listing = references_list(keys, view, bibliography_url, note_url)
    return Section(REFERENCES_ID, "References", listing).html() if listing else ""


def references_list(
    keys: list[str],
    view: BibView,
    bibliography_url: str | None,
    note_url: Callable[[str], str | None] = lambda key: None,
) -> str:
    """The page's References list, in author-year order; an entry with a paper note of its own
    links to it (`note_url`)."""
    if not keys:
        return ""
    ordered = sorted(dict.fromkeys(keys), key=lambda k: (view.label(k).lower(), view.year(k), k))
    items = []
    for key in ordered:
        extra = ""
        note = note_url(key)
        if note:
            extra += f' <a class="fmkb-note-link" href="{esc(note)}" title="the note on this paper">note</a>'
        if bibliography_url:
            href = f"{bibliography_url}#{anchor_id(key)}"
            extra += f' <a class="fmkb-bib-link" href="{esc(href)}" title="in the bibliography">&#8599;</a>'
        items.append(reference_html(view, key, anchor_id(key), extra))
    listing = "\n".join(items)
    return f'<ol class="fmkb-references" data-search-exclude>\n{listing}\n</ol>\n'


# --- headings and links --------------------------------------------------------


def heading_anchor(target: Note, path: tuple[str, ...], ids: HeadingIds) -> str | None:
    """The id the toc extension gives the heading `path` names in `target`."""
    from .resolve import find_heading

    h = find_heading(target.headings, path)
    if h is None:
        return None
    found = ids(target)
    i = target.headings.index(h)
    return found[i] if i < len(found) else None


def block_anchor(block: str) -> str:
    return "block-" + re.sub(r"[^A-Za-z0-9-]", "-", block)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\\[\]*_`<>])", r"\\\1", text)


def _rel(from_note_path: str, to_path: str) -> str:
    here = posixpath.dirname(from_note_path)
    return quote(posixpath.relpath(to_path, here or "."))


def broken(label: str, reason: str) -> str:
    return f'<span class="fmkb-broken" title="{esc(reason)}">{esc(label)}</span>'


@dataclass(slots=True)
class PageContext:
    index: Index
    heading_ids: HeadingIds
    url_for: Callable[[str], str]  # note path -> URL of its built page, relative to the current page
    # vault path -> how the page's Markdown names that note or file, for a page written somewhere
    # other than its note (a staged copy, `stage.py`); None: as written, relative to the note
    relink: Callable[[str], str | None] | None = None


def link_label(link: WikiLink, target: Note | None) -> str:
    if link.label:
        return link.label
    if link.target:
        base = link.target
        if link.headings:
            return f"{base} > {' > '.join(link.headings)}"
        return base
    return " > ".join(link.headings) or (target.title if target else "")


def render_link(link: WikiLink, note: Note, ctx: PageContext) -> str:
    """Markdown for a wiki-link or embed; a visibly broken span when it does not resolve."""
    res, problem = check_link(ctx.index, note, link)
    if problem:
        return broken(link.label or link.raw, f"{problem.message} [{problem.rule}]")
    if res.file is not None:
        rel = (ctx.relink(res.file) if ctx.relink is not None else None) or _rel(note.path, res.file)
        name = posixpath.basename(res.file)
        ext = posixpath.splitext(name)[1].lower()
        if link.embed and ext in IMAGE_EXTS:
            attrs = ""
            if link.size:
                w, _, h = link.size.partition("x")
                attrs = f'{{: width="{w}"' + (f' height="{h}"' if h else "") + " }"
            return f"![{_md_escape(link.label or name)}]({rel}){attrs}"
        return f"[{_md_escape(link.label or name)}]({rel})"
    target = res.note
    assert target is not None
    anchor = ""
    if link.headings:
        anchor = "#" + (heading_anchor(target, link.headings, ctx.heading_ids) or "")
    elif link.block:
        anchor = "#" + block_anchor(link.block)
    if link.embed:
        return embed_excerpt(target, link, ("" if target is note else _rel(note.path, target.path)) + anchor, ctx)
    # Final URLs, as inline HTML: the engine has already checked the link and its anchor,
    # and MkDocs need not parse and re-validate thousands of Markdown links.
    url = ("" if target is note else ctx.url_for(target.path)) + anchor
    return f'<a class="fmkb-link" href="{esc(url)}">{esc(link_label(link, target))}</a>'


def embed_excerpt(target: Note, link: WikiLink, href: str, ctx: PageContext, limit: int = 700) -> str:
    """A note embed: a clearly marked excerpt (plain text) that links to the source."""
    body = target.text[target.body_start :]
    lines = body.split("\n")
    start = 0
    if link.headings:
        from .resolve import find_heading

        h = find_heading(target.headings, link.headings)
        if h is not None:
            start = h.line - 1 - target.text[: target.body_start].count("\n") + 1
    text_lines: list[str] = []
    for line in lines[start:]:
        if line.startswith("#") and text_lines:
            break
        if line.startswith(("#", "```", "~~~", "---")) or not line.strip():
            if text_lines and not line.strip():
                text_lines.append("")
            continue
        text_lines.append(line.strip())
        if sum(len(t) for t in text_lines) > limit:
            break
    excerpt = " ".join(t for t in text_lines if t)
    excerpt = re.sub(r"!?\[\[([^\]|]*\|)?([^\]]*)\]\]", lambda m: m.group(2).split("#")[0], excerpt)
    excerpt = re.sub(r"\[(-?@[^\]]*)\]", "", excerpt)
    if len(excerpt) > limit:
        excerpt = excerpt[:limit].rsplit(" ", 1)[0] + " …"
    anchor = href.partition("#")[2]
    url = ctx.url_for(target.path) + (f"#{anchor}" if anchor else "")
    return (
        f'<div class="fmkb-embed"><p class="fmkb-embed-source">Excerpt from <a href="{esc(url)}">'
        f"{esc(target.title)}</a></p><p>{esc(excerpt)}</p></div>"
    )


@dataclass(slots=True)
class Stash:
    """Inline HTML kept out of Markdown's way: the Markdown gets a token, the finished HTML
    the fragment (`fill`).

    Python-Markdown runs the raw HTML of a page through html.parser; a note's links and
    citations are most of its tags, and fmkb has already built them. A token is letters
    and digits with a random part, so no Markdown rule touches it and no note can forge it.
    """

    nonce: str = field(default_factory=lambda: secrets.token_hex(4))
    fragments: list[tuple[str, str]] = field(default_factory=list)  # (HTML, inert text for inside a tag)

    def put(self, fragment: str, text: str) -> str:
        """A token for `fragment`; `text` is what stands in for it inside a tag: words from
        the note itself (never from the bibliography or another note), with nothing that
        could end a value, start an attribute or spell a URL scheme."""
        inert = re.sub(r"[^\w .,()'@#/-]", "", text).strip().replace(" ", "&#32;")
        self.fragments.append((fragment, inert))
        return f"fmkb{self.nonce}t{len(self.fragments) - 1}t"

    def plain(self, text: str) -> str:
        """The tokens in `text` (a search index's) replaced by what a reader sees of their
        fragments: the text, escaped, without the markup."""
        if not self.fragments:
            return text

        def seen(m: re.Match) -> str:
            return esc(html.unescape(re.sub(r"<[^>]*>", "", self.fragments[int(m.group(1))][0])), quote=False)

        return re.sub(f"fmkb{self.nonce}t(\\d+)t", seen, text)

    def fill(self, html: str) -> str:
        """Put the fragments in; a token that ended up inside a tag (an image's description,
        a raw tag's attribute: a '<' after the last '>' before it) gets its inert text, so no
        markup lands in an attribute. One pass: the search for '<' and '>' before a token
        covers only the text since the previous token."""
        if not self.fragments:
            return html
        parts: list[str] = []
        last = 0
        opened = closed = -1  # positions of the last '<' and '>' seen so far
        for m in re.finditer(f"fmkb{self.nonce}t(\\d+)t", html):
            opened = max(opened, html.rfind("<", last, m.start()))
            closed = max(closed, html.rfind(">", last, m.start()))
            fragment, inert = self.fragments[int(m.group(1))]
            parts.append(html[last : m.start()])
            parts.append(inert if opened > closed else fragment)
            last = m.end()
        parts.append(html[last:])
        return "".join(parts)


def render_body(
    note: Note, markdown: str, ctx: PageContext, view: BibView, stash: Stash | None = None
) -> tuple[str, list[str]]:
    """Replace the links and citations of a note's body; return (markdown, cited keys in order).

    `markdown` is the body MkDocs read; it equals `note.text[note.body_start:]`,
    so the engine's offsets apply after shifting by `body_start`. With a `stash`, the
    HTML of links and citations outside headings goes there (headings keep theirs: the
    table of contents is built from their Markdown).
    """
    base = note.body_start
    headings = {h.line for h in note.headings}

    def inline(fragment: str, line: int, text: str) -> str:
        if stash is None or line in headings:
            return fragment
        return stash.put(fragment, text)

    edits: list[tuple[int, int, str]] = []
    for link in note.links:
        if link.in_frontmatter:
            continue
        rendered = render_link(link, note, ctx)
        if rendered.startswith(("<a ", "<span ")):  # not embeds (blocks) nor file links (Markdown)
            rendered = inline(rendered, link.line, link.label or link.target or " ".join(link.headings))
        edits.append((link.start - base, link.end - base, rendered))
    cited: list[str] = []
    for c in note.citations:
        citation = render_citation(c, view)
        if citation is None:
            continue
        cited.extend(i.key for i in cited_items(c, view.bib.entries) if i.key in view.bib.entries)
        source = note.text[c.start : c.end].strip("[]")
        edits.append((c.start - base, c.end - base, inline(citation, c.items[0].line, source)))
    if ctx.relink is not None:  # the page is written elsewhere: its Markdown links must still reach
        edits.extend(_relinked(note, ctx.relink))
    for a, b in note.comments:  # Obsidian comments are the author's, not the reader's
        edits.append((a - base, b - base, re.sub(r"[^\n]", "", note.text[a:b])))
    for block, offset in note_block_offsets(note):
        edits.append((offset - base, offset - base + len(block) + 1, f'<span id="{block_anchor(block)}"></span>'))
    edits.sort()
    out, last = [], 0
    for a, b, text in edits:
        if a < last:
            continue
        out.append(markdown[last:a])
        out.append(text)
        last = b
    out.append(markdown[last:])
    return "".join(out), cited


def _relinked(note: Note, relink: Callable[[str], str | None]) -> list[tuple[int, int, str]]:
    """Edits of the note's relative Markdown links to a published note or file, resolved as
    MkDocs resolves them (`md_target`), naming it from where the page's Markdown is written.
    Absolute paths, folders and what names nothing stay as written, as MkDocs leaves them."""
    from .resolve import md_target

    base = note.body_start
    edits = []
    for md in note.md_links:
        path = md.dest.partition("#")[0].partition("?")[0]
        if md.start < base or not path or path.startswith("/") or path.endswith("/"):
            continue
        found = md_target(note.path, md.dest)
        new = relink(found[0]) if found is not None else None
        if found is not None and new is not None:
            edits.append((md.start - base, md.end - base, new + (f"#{found[1]}" if found[1] else "")))
    return edits


def note_block_offsets(note: Note) -> list[tuple[str, int]]:
    """(block id, offset of its '^') for each block id in the body."""
    return sorted(note.block_ids.items(), key=lambda kv: kv[1])


def _released(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if value is not None else ""


def fact_text(key: str, value: Any) -> str:
    """A model fact as shown: dates as ISO text, context lengths with thousands separators."""
    if value is None:
        return ""
    if key == "released":
        return _released(value)
    if key == "context_length" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


MODEL_FACTS = (
    ("organization", "Organization"),
    ("released", "Released"),
    ("parameters", "Parameters"),
    ("active_parameters", "Active parameters"),
    ("training_tokens", "Training tokens"),
    ("context_length", "Context length"),
    ("weights", "Weights"),
    ("license", "License"),
)


def model_facts(note: Note, view: BibView, paper_href: str | None) -> str:
    """The infobox of a model note: its front-matter facts and the paper that introduced it."""
    rows = [(label, esc(fact_text(key, note.meta.get(key)))) for key, label in MODEL_FACTS if note.meta.get(key)]
    key = note.meta.get("paper")
    if isinstance(key, str) and key in view.bib.entries:
        label = esc(f"{view.label(key)} ({view.year(key)})")
        rows.append(("Paper", f'<a href="{esc(paper_href)}">{label}</a>' if paper_href else label))
    if not rows:
        return ""
    body = "".join(f'<tr><th scope="row">{label}</th><td>{value}</td></tr>' for label, value in rows)
    return f'<table class="fmkb-facts"><tbody>{body}</tbody></table>'


def paper_card(note: Note, view: BibView, cited_in: list[tuple[str, str]] | None = None) -> str:
    """The card at the top of a paper note, from its bibliography entry: authors (three, then
    "et al."), venue and year, arXiv, PDF and DOI links, its BibTeX (fmkb.js adds a copy
    button), and the notes that cite it (`cited_in`: title, href)."""
    key = note.meta.get("cite")
    if not (isinstance(key, str) and key in view.bib.entries):
        return ""
    entry = view.bib.entries[key]
    names, more = view.authors(key)
    authors = ", ".join(n.full for n in names[:3]) + (" et al." if more or len(names) > 3 else "")
    facts = [esc(x) for x in (view.venue(key), view.year(key)) if x]
    aid = arxiv_id(entry)
    if aid:
        ident = esc(quote(aid, safe="/._-"))
        facts.append(f'<a class="fmkb-arxiv" href="https://arxiv.org/abs/{ident}">arXiv:{esc(aid)}</a>')
        facts.append(f'<a class="fmkb-pdf" href="https://arxiv.org/pdf/{ident}">PDF</a>')
    doi = entry.fields.get("doi", "").strip()
    if doi:
        facts.append(
            f'<a class="fmkb-doi" href="https://doi.org/{esc(quote(doi, safe="/:;()._-"))}">doi:{esc(doi)}</a>'
        )
    parts = ['<div class="fmkb-paper-card">']
    if authors:
        parts.append(f'<p class="fmkb-card-authors">{esc(authors)}</p>')
    parts.append(f'<p class="fmkb-card-facts">{" · ".join(facts)}</p>')
    code = f"<pre><code>{esc(bibtex_text(entry))}</code></pre>"
    parts.append(f'<details class="fmkb-bibtex"><summary>BibTeX</summary>{code}</details>')
    if cited_in:
        links = ", ".join(f'<a href="{esc(href)}">{esc(title)}</a>' for title, href in cited_in)
        count = f"{len(cited_in)} note{'s' if len(cited_in) != 1 else ''}"
        parts.append(f'<p class="fmkb-cited-in">Cited in {count}: {links}</p>')
    parts.append("</div>")
    return "".join(parts)


def bibtex_text(entry: BibEntry) -> str:
    """An entry as BibTeX (its fields as the bibliography holds them, LaTeX kept)."""
    width = max((len(name) for name in entry.fields), default=0)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in entry.fields.items())
    return f"@{entry.type}{{{entry.key},\n{body}\n}}"


def aliases_line(note: Note) -> str:
    if not note.aliases:
        return ""
    names = ", ".join(f"<strong>{esc(a)}</strong>" for a in note.aliases)
    return f'<p class="fmkb-aliases" id="fmkb-aliases">Also known as: {names}</p>'


def insert_after_h1(markdown: str, html_block: str) -> str:
    """Put a block right after the first H1 (or at the top when there is none)."""
    if not html_block:
        return markdown
    m = re.search(r"^# .*$", markdown, re.M)
    if m:
        return markdown[: m.end()] + "\n\n" + html_block + "\n" + markdown[m.end() :]
    return html_block + "\n\n" + markdown


def cite_this_note(site_name: str, title: str, site_url: str | None, page_url: str) -> str:
    """A line to cite the note by, with its address: only when the site knows where it lives."""
    if not site_url:
        return ""
    url = site_url.rstrip("/") + "/" + page_url.lstrip("/")
    return (
        f'<p class="fmkb-cite-note">Cite this note: {esc(site_name)}. “{esc(title)}.” '
        f'<a href="{esc(url)}">{esc(url)}</a></p>\n'
    )


@dataclass(frozen=True, slots=True)
class Backlink:
    title: str  # of the linking note
    href: str  # to its built page
    kind: str  # its kind: the group it is listed in
    context: str  # the sentence around the link, as plain text


_KIND_GROUPS = [("paper", "Papers"), ("model", "Models"), ("concept", "Concepts"), ("resource", "Resources")]


def backlinks_section(sources: list[Backlink]) -> str:
    """Linked from, heading and list (`backlinks_list`)."""
    listing = backlinks_list(sources)
    return Section(BACKLINKS_ID, "Linked from", listing).html() if listing else ""


def backlinks_list(sources: list[Backlink]) -> str:
    """Linked from: the linking notes grouped by kind, each with the sentence around its link."""
    if not sources:
        return ""
    groups = []
    known = {kind for kind, _ in _KIND_GROUPS}
    for kind, name in [*_KIND_GROUPS, ("", "Other pages")]:
        members = sorted(
            (s for s in sources if (s.kind == kind or (not kind and s.kind not in known))),
            key=lambda s: s.title.lower(),
        )
        if not members:
            continue
        items = "\n".join(
            f'<li><a href="{esc(s.href)}">{esc(s.title)}</a>'
            + (f'<div class="fmkb-context">{esc(s.context)}</div>' if s.context else "")
            + "</li>"
            for s in members
        )
        count = f'<span class="fmkb-count">{len(members)}</span>'
        groups.append(
            f'<h3 class="fmkb-backlinks-kind">{name} {count}</h3>\n<ul class="fmkb-backlinks">\n{items}\n</ul>'
        )
    body = "\n".join(groups)
    return f"<div data-search-exclude>\n{body}\n</div>\n"


def local_graph_block(data: str) -> str:
    """The local graph's element: its data (JSON) escaped into an attribute, drawn by fmkb.js."""
    return f'<div class="fmkb-graph-local" data-graph="{html.escape(data)}"></div>\n'


_STOP = re.compile(r"[.!?](\s+)(?=[A-Z\[(\"'])")
_LINE_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.|#|>|\|))")
_MARKUP = re.compile(r"!?\[\[([^\]|#]*)(?:#[^\]|]*)?(?:\|([^\]]*))?\]\]|\[@[^\]]*\]|[*_`]+")


def sentence_breaks(note: Note) -> list[tuple[int, int]]:
    """Where the note's sentences end (the space after a full stop before a capital, a blank
    line, a line that starts a list item, heading, quote or table row): shared by all the
    contexts of its links. Two patterns that start with a literal, so `re` skips ahead fast."""
    text, at = note.text, note.body_start
    stops = [m.span(1) for m in _STOP.finditer(text, at)]
    lines = [m.span() for m in _LINE_BREAK.finditer(text, at)]
    return sorted(stops + lines) if stops and lines else stops or lines


def link_context(note: Note, link: WikiLink, limit: int = 240, breaks: list[tuple[int, int]] | None = None) -> str:
    """The sentence of `note` around `link`, as plain text (wiki-links as the words they show,
    citations and emphasis marks left out), cut to about `limit` characters around the link.
    `breaks`: the note's `sentence_breaks`, when several of its links are wanted."""
    if link.in_frontmatter or link.start < 0:
        return ""
    text = note.text
    if breaks is None:
        breaks = sentence_breaks(note)
    k = bisect.bisect_left(breaks, (link.start, -1))  # the first break at or after the link
    while k > 0 and breaks[k - 1][1] > link.start:  # a break that overlaps the link's start
        k -= 1
    start = breaks[k - 1][1] if k > 0 else note.body_start
    j = bisect.bisect_left(breaks, (link.end, -1))
    end = breaks[j][0] if j < len(breaks) else len(text)
    if text[start:end].lstrip().startswith("#"):
        return ""  # a heading is no context
    head = tail = ""
    if end - start > limit:  # a window around the link
        half = limit // 2
        if link.start - start > half:
            start = text.rfind(" ", start, link.start - half) + 1 or link.start - half
            head = "…"
        if end - link.end > half:
            end = text.find(" ", link.end + half, end) if text.find(" ", link.end + half, end) != -1 else end
            tail = "…"
        if head or tail:  # a cut never falls inside another link or citation: it would show raw
            for a, b in [(x.start, x.end) for x in note.links] + [(c.start, c.end) for c in note.citations]:
                if a < start < b:
                    start = a
                if a < end < b:
                    end = b
    sentence = text[start:end]
    plain = _MARKUP.sub(
        lambda m: (m.group(2) or m.group(1) or "") if m.group(0).startswith(("[[", "![[")) else "", sentence
    )
    plain = " ".join(plain.lstrip("-*+> 0123456789.").split())
    return f"{head}{plain}{tail}" if plain else ""

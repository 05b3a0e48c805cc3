"""Generated pages: the Bibliography, the section indexes (a sortable Papers table)
and the tags index, built from one engine pass.

A contributor may write any of these pages by hand instead; the markers
`<!-- fmkb:bibliography -->` and `<!-- fmkb:index KIND -->` are then filled in
wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .engine import Analysis
from .render import MODEL_FACTS, BibView, anchor_id, esc, fact_text, reference_html
from .timeline import model_point, timeline_svg

SECTIONS = {
    "papers": ("paper", "Papers", "Every paper note, with its year and venue. Click a column heading to sort."),
    "models": ("model", "Models", "Foundation models: who built them, when, and how large they are."),
    "concepts": ("concept", "Concepts", "The ideas that recur across the papers."),
    "resources": ("resource", "Resources", "Research centres, benchmarks, model hubs and reading paths."),
}
_MARKER = re.compile(r"<!--\s*fmkb:(bibliography|index|tag-counts|graph)\s*([a-z]*)\s*-->")


BIB_DOWNLOAD = "references.bib"  # the bibliography itself, published beside its page


@dataclass(frozen=True, slots=True)
class Here:
    """Where a page is, and how it reaches the other pages: what its links and tables need of
    the site, from whichever program lays the site out."""

    url: str  # the page's own URL
    relative: Callable[[str], str | None]  # a page's source path -> its URL from here; None when not published
    published: Callable[[], frozenset[str]]  # every published page's source path
    # vault path -> how this page's Markdown names a note or file (see `render.PageContext.relink`)
    relink: Callable[[str], str | None] | None = None

    def url_for(self, path: str) -> str:
        return self.relative(path) or "#"


def generated_pages(analysis: Analysis, tags: bool, bib_link: str = BIB_DOWNLOAD) -> dict[str, str]:
    """src_uri -> Markdown of each page fmkb generates (only where no such file exists);
    `tags`: whether the site has a tags plugin (then a Tags page); `bib_link`: how the
    Bibliography's Markdown links to references.bib (MkDocs resolves the file's own name)."""
    out = {
        "bibliography.md": "# Bibliography\n\nEvery work in `references.bib`, with the notes that cite it "
        f"([download {BIB_DOWNLOAD}]({bib_link})).\n\n<!-- fmkb:bibliography -->\n",
    }
    kinds_present = {n.kind for n in analysis.vault.notes}
    for folder, (kind, title, intro) in SECTIONS.items():
        if kind in kinds_present:
            out[f"{folder}/index.md"] = f"# {title}\n\n{intro}\n\n<!-- fmkb:index {kind} -->\n"
    out["graph.md"] = (
        "# Graph\n\nHow the notes link to each other: papers, models, concepts and resources, sized by how "
        "many links they have. Hover over or tab to a note to see its name; a click or Enter opens it."
        "\n\n<!-- fmkb:graph -->\n"
    )
    if tags:
        out["tags.md"] = "# Tags\n\nNotes grouped by tag.\n\n<!-- fmkb:tag-counts -->\n\n<!-- material/tags -->\n"
    return out


class Blocks:
    """The bibliography and index blocks of the last build, kept by `mkdocs serve`: one is
    made again only when what it reads has changed (an edit to a note's body changes none)."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, str, str], tuple[tuple, str]] = {}

    def get(self, where: tuple[str, str, str], reads: tuple, make: Callable[[], str]) -> str:
        old = self._made.get(where)
        if old is not None and old[0] == reads:
            return old[1]
        block = make()
        self._made[where] = (reads, block)
        return block


def block_reads(name: str, kind: str, analysis: Analysis, published: frozenset[str]) -> tuple:
    """All a block reads: the bibliography, which notes cite what, the listed notes' titles,
    front matter and tags, and which pages are published (their URLs)."""
    notes = analysis.vault.notes
    if name == "bibliography":
        return analysis.bib, analysis.report.cited, tuple((n.path, n.title) for n in notes), published
    if name == "tag-counts":
        return tuple((n.path, tuple(n.tags)) for n in notes), published
    if name == "graph":
        return ()
    listed = tuple((n.path, n.title, n.meta, tuple(n.tags)) for n in notes if n.kind == kind)
    return analysis.bib, analysis.report.cited, listed, published


def page_reads(markdown: str, analysis: Analysis, published: frozenset[str]) -> tuple:
    """What the blocks of a page with this Markdown read (`block_reads`), in their order."""
    return tuple(
        block_reads(m.group(1), m.group(2) or "paper", analysis, published) for m in _MARKER.finditer(markdown)
    )


def fill_markers(
    markdown: str,
    analysis: Analysis,
    view: BibView,
    here: Here,
    sink: list[str] | None = None,
    nonce: str = "",
    blocks: Blocks | None = None,
) -> str:
    """Replace `<!-- fmkb:... -->` markers with their tables.

    With a `sink`, the (large) HTML goes there and the Markdown gets a placeholder,
    an empty div whose id holds the build's random `nonce` (so no note can forge one),
    for the plugin to fill in the finished page: neither Markdown nor the search
    indexer then parses thousands of rows. `blocks`: the last build's, reused where
    nothing they read has changed.
    """
    if "fmkb:" not in markdown:
        return markdown
    url_for = here.url_for

    def made(name: str, kind: str, make: Callable[[], str]) -> str:
        if blocks is None:
            return make()
        return blocks.get((here.url, name, kind), block_reads(name, kind, analysis, here.published()), make)

    def replace(m: re.Match) -> str:
        if m.group(1) == "bibliography":
            block = made("bibliography", "", lambda: bibliography_html(analysis, view, url_for))
        elif m.group(1) == "tag-counts":
            block = tag_counts_html(analysis)
        elif m.group(1) == "graph":  # drawn by fmkb.js from graph.json
            block = '<div class="fmkb-graph-global"><p>The graph is drawn by JavaScript.</p></div>\n'
        else:
            kind = m.group(2) or "paper"
            block = made("index", kind, lambda: index_table(analysis, view, kind, url_for))
        if sink is None:
            return block
        sink.append(block)
        return f'<div id="fmkb-block-{nonce}-{len(sink) - 1}"></div>'

    return _MARKER.sub(replace, markdown)


def fill_placeholders(output: str, blocks: list[str], nonce: str) -> str:
    for i, block in enumerate(blocks):
        output = output.replace(f'<div id="fmkb-block-{nonce}-{i}"></div>', block, 1)
    return output


def bibliography_html(analysis: Analysis, view: BibView, url_for) -> str:
    notes = {n.path: n for n in analysis.vault.notes}
    cited = analysis.report.cited
    keys = sorted(analysis.bib.entries, key=lambda k: (view.label(k).lower(), view.year(k), k))
    items = []
    for key in keys:
        citing = [notes[p] for p in dict.fromkeys(cited.get(key, [])) if p in notes]
        extra = ""
        if citing:
            links = ", ".join(f'<a href="{esc(url_for(n.path))}">{esc(n.title)}</a>' for n in citing)
            extra = f'<br><span class="fmkb-cited-by">Cited by: {links}</span>'
        items.append(reference_html(view, key, anchor_id(key), extra))
    return '<ol class="fmkb-references fmkb-bibliography">\n' + "\n".join(items) + "\n</ol>\n"


def tag_counts_html(analysis: Analysis) -> str:
    """Every tag with the number of notes that carry it, most used first, each a link to its
    section below (the tags plugin's `tag:` anchors, made from the name as the theme gets it:
    escaped)."""
    counts: dict[str, int] = {}
    for note in analysis.vault.notes:
        for tag in dict.fromkeys(note.tags):
            counts[tag] = counts.get(tag, 0) + 1
    if not counts:
        return ""
    items = "".join(
        f'<li><a href="#tag:{esc(slug_tag(esc(tag)))}">{esc(tag)}</a> <span class="fmkb-count">{n}</span></li>'
        for tag, n in sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
    )
    return f'<ul class="fmkb-tag-counts">{items}</ul>\n'


TAGS_LISTING = "<!-- material/tags -->"  # where Material's tags plugin lists the notes of each tag


def tag_listing(pages: list[tuple[str, str, list[str]]], url_for: Callable[[str], str]) -> list[tuple[str, str, str]]:
    """(tag, its anchor, the list of its pages) for every tag, by name, each list by title, as
    Material's tags plugin lists them; `pages`: (source, title, tags) of each page, title and
    tags as the theme shows them (escaped). For a renderer whose own listing does not scale."""
    by_tag: dict[str, list[tuple[str, str]]] = {}
    for src, title, tags in pages:
        for tag in dict.fromkeys(tags):
            by_tag.setdefault(tag, []).append((title, src))
    out = []
    for tag in sorted(by_tag):
        items = "".join(f'<li><a href="{esc(url_for(src))}">{title}</a></li>' for title, src in sorted(by_tag[tag]))
        out.append((tag, "tag:" + slug_tag(tag), f"<ul>{items}</ul>\n"))
    return out


def slug_tag(tag: str) -> str:
    """The id the tags plugin gives a tag's section (its toc slug of the tag's name)."""
    from markdown.extensions.toc import slugify

    return slugify(tag, "-")


def index_table(analysis: Analysis, view: BibView, kind: str, url_for) -> str:
    """A sortable table of the notes of one kind."""
    notes = sorted((n for n in analysis.vault.notes if n.kind == kind), key=lambda n: n.title.lower())
    sorted_by = before = ""
    if kind == "paper":  # newest first, as the Year heading's ▼ shows; a click sorts by any column
        head = ["Year", "Title", "Authors", "Venue", "Description"]
        rows = []
        for n in notes:
            cite = n.meta.get("cite")
            key = cite if isinstance(cite, str) and cite in analysis.bib.entries else None
            year = str(n.meta.get("year") or (view.field(key, "year") if key else ""))
            venue = view.venue(key) if key else ""
            authors = view.label(key) if key else ""
            description = str(n.meta.get("description") or "")
            rows.append([esc(year), _title_cell(n, url_for), esc(authors), esc(venue), esc(description)])
        rows.sort(key=lambda row: row[0], reverse=True)  # stable: the titles stay in order within a year
        sorted_by = "Year"
    elif kind == "model":
        head = ["Model", "Organization", "Released", "Parameters", "Active", "Tokens", "Context", "Weights", "License"]
        fields = [key for key, _ in MODEL_FACTS]
        rows = [[_title_cell(n, url_for)] + [esc(fact_text(k, n.meta.get(k))) for k in fields] for n in notes]
        points = [p for n in notes if (p := model_point(n.title, url_for(n.path), n.meta)) is not None]
        chart = timeline_svg(points)
        if chart:  # the models by release and size, above the table that links them
            caption = "Released models by date and parameter count (log scale); hover a point for its details."
            before = f'<figure class="fmkb-timeline-figure">\n{chart}\n<figcaption>{caption}</figcaption>\n</figure>\n'
    else:
        head = ["Title", "Description", "Tags"]
        rows = [
            [_title_cell(n, url_for), esc(str(n.meta.get("description") or "")), esc(", ".join(n.tags))] for n in notes
        ]
    th = "".join(
        f'<th scope="col" aria-sort="descending">{h}</th>' if h == sorted_by else f'<th scope="col">{h}</th>'
        for h in head
    )
    body = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return before + (
        f'<table class="fmkb-sortable fmkb-index fmkb-index-{esc(kind)}">\n<thead><tr>{th}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>\n"
    )


def _title_cell(note, url_for) -> str:
    return f'<a href="{esc(url_for(note.path))}">{esc(note.title)}</a>'

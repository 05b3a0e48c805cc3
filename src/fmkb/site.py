"""The site: what one engine pass publishes, whichever program renders the pages.

The MkDocs plugin (`plugin.py`) and the stage for other generators (`stage.py`) publish
the same pages from the same `Build`: where each page goes (`page_dest`), the Markdown
the renderer gets for a note (`note_markdown`: links and citations stashed as tokens, the
generated tables as placeholders), what fmkb does to the renderer's HTML (`content_html`:
tokens filled, sanitized) and what it adds to the finished page (`tail_sections`,
`fill_blocks`, `description_meta`). Only where a renderer keeps these pieces differs,
so what is checked is what either publishes.
"""

from __future__ import annotations

import datetime
import html
import json
import posixpath
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import pages
from .engine import Analysis
from .graph import Edges, adjacency, local_graph, note_edges
from .incremental import Carry
from .model import Note
from .publish import HeadingIds, note_header, page_markdown, too_complex
from .render import (
    BACKLINKS_ID,
    GRAPH_ID,
    REFERENCES_ID,
    Backlink,
    BibView,
    PageContext,
    Section,
    Stash,
    backlinks_list,
    cite_this_note,
    local_graph_block,
    references_list,
)
from .sanitize import Policy
from .schema import theme_meta

NOT_PUBLISHED = "This note is not published: it is too large or too complex to render (see `fmkb check`)."
ASSETS = ("assets/fmkb/fmkb.css", "assets/fmkb/fmkb.js")
GRAPH_FILE = "graph.json"  # the Graph page's data, beside the site's pages
KIND_ORDER = ["papers", "models", "concepts", "resources"]
BIBLIOGRAPHY_PAGE = "bibliography.md"


def slug_dest(src_uri: str) -> str:
    """Where a page is written: 'papers/Scaling Laws.md' -> 'papers/scaling-laws/index.html'."""
    parts = src_uri.split("/")
    stem = posixpath.splitext(parts[-1])[0]
    folders = [slug_segment(p) for p in parts[:-1]]
    if stem.lower() in ("index", "readme"):
        return posixpath.join(*folders, "index.html") if folders else "index.html"
    return posixpath.join(*folders, slug_segment(stem), "index.html")


def plain_dest(src_uri: str) -> str:
    """Where MkDocs writes a page by itself (directory URLs): 'a/B.md' -> 'a/B/index.html'."""
    folder, name = posixpath.split(src_uri)
    stem = posixpath.splitext(name)[0]
    if stem.lower() in ("index", "readme"):
        return posixpath.join(folder, "index.html")
    return posixpath.join(folder, stem, "index.html")


def slug_segment(text: str) -> str:
    """URL segment for a file or folder name: 'Scaling laws' -> 'scaling-laws'."""
    s = re.sub(r"[^\w\s.-]", "", text.lower(), flags=re.UNICODE)
    s = re.sub(r"[\s_.-]+", "-", s).strip("-")
    return s or "page"


def page_dests(pages_: Iterable[str], taken: set[str], slug: Callable[[str], str] = slug_dest) -> dict[str, str]:
    """Each page's output file at its slug URL, in the order given; a page whose slug another
    file already has (`taken`, which grows) is left out: it keeps the renderer's own."""
    out: dict[str, str] = {}
    for src in pages_:
        dest = slug(src)
        if dest in taken:
            continue
        taken.add(dest)
        out[src] = dest
    return out


def dest_url(dest: str) -> str:
    """The URL of a page written to `dest` ('a/b/index.html' -> 'a/b/', the home page './')."""
    folder = posixpath.dirname(dest)
    return folder + "/" if folder else "./"


def plain_title(title: str) -> str:
    """A note title as plain text: entities decoded, inline code and emphasis marks dropped."""
    return " ".join(re.sub(r"`|\*{1,3}", "", html.unescape(title)).split())


def nav_rank(is_page: bool, is_section: bool, src_uri: str | None, title: str | None) -> tuple[int, str]:
    """Where a top-level navigation item goes: the home page, the kinds' sections in their
    order, everything else by title, and the generated Graph, Bibliography and Tags last."""
    if is_page and src_uri == "index.md":
        return (0, "")
    low = (title or "").lower()
    if is_section and low in KIND_ORDER:
        return (1 + KIND_ORDER.index(low), low)
    generated = {"graph": 89, "bibliography": 90, "tags": 91}
    return (generated.get(low, 50), low)


def add_alias_entries(
    data: dict, names: dict[str, tuple[list[str], str]], items: str = "docs", inherit: tuple[str, ...] = ()
) -> int:
    """Give each note with aliases (or a bib key) an entry of its own in the search index,
    right after its page's: titled with the aliases, so the search's title boost ranks the
    page first for "Chinchilla" or "RLHF", and it finds "hoffmann2022training" too.
    `names` maps a page's location to (aliases, bib key); `items` names the index's list of
    entries, and `inherit` the fields an alias entry copies from its page's. Returns how many
    were added."""
    docs, added = [], 0
    for doc in data.get(items, []):
        docs.append(doc)
        found = names.get(doc.get("location", ""))
        if found is not None:  # the search box shows both fields as HTML: escape them
            aliases, key = found
            title = html.escape(", ".join(aliases) or key)
            text = html.escape("Also known as: " + ", ".join([*aliases, *([key] if key else [])]))
            entry = {"location": doc["location"] + "#fmkb-aliases", "title": title, "text": text}
            entry.update({name: doc[name] for name in inherit if name in doc})
            docs.append(entry)
            added += 1
    data[items] = docs
    return added


@dataclass(frozen=True, slots=True)
class Tail:
    """A page's References and Linked-from blocks: made when the page is finished."""

    make: Callable[[], list[Section]]
    references: bool  # whether there will be a References block (for the table of contents)
    linked: bool  # a Linked-from block (some note links here)
    cite_line: bool  # a line to cite the note by (the site knows its address)

    @property
    def backlinks(self) -> bool:
        """What the plugin's table of contents lists as "Linked from"."""
        return self.linked or self.cite_line


@dataclass(slots=True)
class Build:
    """What one build knows of the notes, and what its page steps fill and empty: created in
    one place (`Build.of`, from the engine's pass)."""

    analysis: Analysis
    notes: dict[str, Note]  # path -> note
    too_complex: set[str]  # notes published as a notice
    paper_notes: dict[str, str]  # bib key -> the paper note that has it as `cite`
    view: BibView
    backlinks: dict[str, list[tuple[str, str]]]  # note path -> (linking note, the sentence around its link)
    urls: dict[str, str] = field(default_factory=dict)  # note path -> its page's URL
    generated: dict[str, str] = field(default_factory=dict)  # generated page -> its Markdown
    tails: dict[str, Tail] = field(default_factory=dict)  # per page: References, Linked-from
    stashes: dict[str, Stash] = field(default_factory=dict)  # per page: link and citation HTML to put back
    blocks: dict[str, list[str]] = field(default_factory=dict)  # generated tables, put into the finished page
    cite_targets: dict[str, str] = field(default_factory=dict)  # page -> the Bibliography's URL its citations use
    nonce: str = field(default_factory=lambda: secrets.token_hex(8))  # names their placeholders
    updated: dict[str, datetime.date] = field(default_factory=dict)  # note path -> last change (git, else mtime)
    links_out: dict[str, set[str]] = field(default_factory=dict)  # note path -> the notes it links to
    links_in: dict[str, set[str]] = field(default_factory=dict)  # note path -> the notes that link to it
    graphs: dict[str, Callable[[], str]] = field(default_factory=dict)  # per page: its local graph (JSON)
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # published note path -> (title, kind)
    edges: dict[str, Edges] = field(default_factory=dict)  # note path -> its resolved links and cited keys

    @staticmethod
    def of(analysis: Analysis, carry: Carry | None = None, last: Build | None = None) -> Build:
        """`carry` and `last` (under `mkdocs serve`): each note's edges and verdict are
        reused where its check was, and the reference labels while the bibliography and
        what cites it are unchanged."""
        notes = {n.path: n for n in analysis.vault.notes}
        cited = analysis.report.cited
        if last is not None and last.analysis.bib is analysis.bib and last.analysis.report.cited == cited:
            view = last.view
        else:
            view = BibView(analysis.bib)
            view.assign_years(cited)
        entries = analysis.bib.entries

        def make(note: Note) -> tuple[Edges, bool]:
            return note_edges(note, analysis.index, entries, contexts=True), too_complex(note) is not None

        made = {n.path: carry.derive(n, make) if carry is not None else make(n) for n in analysis.vault.notes}
        edges = {path: m[0] for path, m in made.items()}
        links_out, links_in = adjacency(edges)
        unpublished = {path for path, m in made.items() if m[1]}
        return Build(
            analysis,
            notes,
            unpublished,
            {n.meta["cite"]: path for path, n in notes.items() if isinstance(n.meta.get("cite"), str)},
            view,
            _backlinks(edges),
            links_out=links_out,
            links_in=links_in,
            titles={path: (n.title, n.kind) for path, n in notes.items() if path not in unpublished},
            edges=edges,
        )

    def blocks_of(self, src: str) -> list[str]:
        return self.blocks.setdefault(src, [])

    def alias_names(self) -> dict[str, tuple[list[str], str]]:
        """Page URL -> (aliases, bib key) of each published note that has either."""
        entries = self.analysis.bib.entries
        names: dict[str, tuple[list[str], str]] = {}
        for note in self.notes.values():
            cite = note.meta.get("cite")
            key = cite if isinstance(cite, str) and cite in entries else ""
            if (note.aliases or key) and note.path in self.urls:
                names[self.urls[note.path]] = (note.aliases, key)
        return names


def _backlinks(edges: dict[str, Edges]) -> dict[str, list[tuple[str, str]]]:
    """Each note's linking notes, once each, with the sentence around the first such link."""
    back: dict[str, list[tuple[str, str]]] = {}
    for path, out in edges.items():
        for target, context in (out.contexts or {}).items():
            back.setdefault(target, []).append((path, context))
    return back


# --- a page's Markdown ------------------------------------------------------------


def notice_markdown(note: Note) -> str:
    """What a note too complex to render is published as."""
    return f"\n# {html.escape(plain_title(note.title))}\n\n{NOT_PUBLISHED}\n"


def page_meta(build: Build, src: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The front matter the theme sees: only what the schema accepts, escaped where it is
    shown; a note's title always set (a title taken from the H1 reaches <title> unescaped)."""
    note = build.notes.get(src)
    out = theme_meta(note.meta if note is not None else meta)
    if note is not None:
        out["title"] = html.escape(plain_title(note.title))
        updated = build.updated.get(note.path)
        if updated is not None:  # Material shows it under the page as "Last update"
            out["revision_date"] = updated.isoformat()
    return out


def generated_markdown(build: Build, src: str, markdown: str, here: pages.Here, reuse: pages.Blocks | None) -> str:
    """A generated page's Markdown, its tables as placeholders (`fill_blocks` puts them in)."""
    return pages.fill_markers(markdown, build.analysis, build.view, here, build.blocks_of(src), build.nonce, reuse)


def note_markdown(
    build: Build,
    note: Note,
    here: pages.Here,
    heading_ids: HeadingIds,
    site: tuple[str, str | None],
    reuse: pages.Blocks | None = None,
) -> str:
    """The Markdown a renderer gets for a note: its links and citations as tokens (the HTML
    kept in the build's stash for the page), its header under the title, its tables as
    placeholders; the page's References, Linked-from and local graph are kept to be made
    when it is finished. `site`: the site's name and address (for the line to cite it by)."""
    src = note.path
    url_for = here.url_for

    def paper_note_url(key: str) -> str | None:
        path = build.paper_notes.get(key)
        return url_for(path) if path is not None and path != src else None

    ctx = PageContext(build.analysis.index, heading_ids, url_for, here.relink)
    stash = build.stashes[src] = Stash()
    paper_key = note.meta.get("paper")
    paper = build.paper_notes.get(paper_key) if isinstance(paper_key, str) else None
    cited_in = None
    if note.kind == "paper" and isinstance(note.meta.get("cite"), str):
        citing = build.analysis.report.cited.get(note.meta["cite"], [])
        cited_in = [(build.notes[p].title, url_for(p)) for p in dict.fromkeys(citing) if p != src and p in build.notes]
    header = note_header(note, build.view, url_for(paper) if paper else None, cited_in)
    body, cited = page_markdown(note, ctx, build.view, stash, header)
    body = pages.fill_markers(body, build.analysis, build.view, here, build.blocks_of(src), build.nonce, reuse)
    bib_url = here.relative(BIBLIOGRAPHY_PAGE)
    sources = [
        Backlink(build.notes[p].title, url_for(p), build.notes[p].kind, context)
        for p, context in build.backlinks.get(src, [])
    ]
    if any(p in build.titles for p in build.links_out.get(src, set()) | build.links_in.get(src, set())):
        build.graphs[src] = lambda: json.dumps(
            local_graph(src, build.titles, build.links_out, build.links_in, url_for),
            ensure_ascii=False,
            separators=(",", ":"),
        )
    # the home page links its citations to the Bibliography instead of ending in a references dump
    home = src == "index.md" and bib_url is not None
    if home:
        build.cite_targets[src] = bib_url or ""
    # made when the page is finished: Markdown has nothing to do with these blocks (held for
    # every page at once, they were a tenth of a large build's memory)
    citation = cite_this_note(site[0], note.title, site[1], here.url)

    def make() -> list[Section]:
        made = []
        if cited and not home:
            refs = references_list(cited, build.view, bib_url, paper_note_url)
            made.append(Section(REFERENCES_ID, "References", refs))
        if sources:
            made.append(Section(BACKLINKS_ID, "Linked from", backlinks_list(sources)))
        if citation:
            made.append(Section("", "", citation))
        return made

    build.tails[src] = Tail(make, bool(cited) and not home, bool(sources), bool(citation))
    return body


# --- the renderer's HTML ----------------------------------------------------------


def content_html(build: Build, src: str, content: str, policy: Policy) -> str:
    """A page's content as the renderer made it, as published: fmkb's links and citations
    put in, the home page's citations pointed at the Bibliography, everything sanitized."""
    stash = build.stashes.pop(src, None)
    if stash is not None:
        content = stash.fill(content)
    target = build.cite_targets.get(src)
    if target:  # citations on this page point into the Bibliography
        content = content.replace('<a class="fmkb-cite" href="#ref-', f'<a class="fmkb-cite" href="{target}#ref-')
    return policy.clean(content)


def description_meta(build: Build, src: str, output: str) -> str:
    """The note's description as a meta tag: what a link preview shows of it."""
    note = build.notes.get(src)
    description = note.meta.get("description") if note is not None else None
    if isinstance(description, str) and description.strip():
        meta = f'<meta name="fmkb:description" content="{html.escape(" ".join(description.split()))}">'
        return output.replace("</head>", meta + "</head>", 1)
    return output


def fill_blocks(build: Build, src: str, output: str, policy: Policy) -> str:
    """The page's generated tables put into their placeholders, each sanitized."""
    blocks = build.blocks.pop(src, None)
    if blocks:
        output = pages.fill_placeholders(output, [policy.clean(b) for b in blocks], build.nonce)
    return output


def tail_sections(build: Build, src: str, policy: Policy) -> list[Section]:
    """The page's References, Linked from (and cite line), sanitized, and its local graph:
    fmkb's own markup with its data escaped, which fmkb.js draws."""
    tail = build.tails.pop(src, None)
    made = [Section(s.id, s.title, policy.clean(s.body)) for s in tail.make()] if tail is not None else []
    graph = build.graphs.pop(src, None)
    if graph is not None:
        made.append(Section(GRAPH_ID, "Graph", local_graph_block(graph())))
    return made


def before_article_end(output: str, addition: str) -> str:
    """`addition` put at the end of the page's article (of its body, for a theme without one)."""
    if not addition:
        return output
    at = output.rfind("</article>")
    if at == -1:
        at = output.rfind("</body>")
    if at == -1:
        return output + addition
    return output[:at] + addition + output[at:]

"""Stage: the site as plain Markdown any generator builds, and the finishing of what it built.

A generator without MkDocs' plugin events (Zensical: `zensical_build.py`) gets a docs
folder fmkb writes from one engine pass: every page at the URL the MkDocs build gives it
(`site.page_dests`), its Markdown as `site.note_markdown` makes it for the plugin (links and
citations as tokens, generated tables and the References / Linked from / Graph blocks as
placeholders under real headings, so they reach the table of contents), its front matter
as `site.page_meta` hands it to the theme, and the generated pages, attachments and
assets beside it. The generator renders that Markdown with the site's own extensions plus
`ContentBounds`, which marks where each page's content starts and ends and makes its
table of contents plain text. `finish_page` then runs the plugin's own steps on each
built page (`site.content_html`: tokens filled, sanitized; tables, tails, description),
and `finish_search_items` puts the same text into the search index.

Nothing here depends on one generator, and nothing parses a note again.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

import yaml
from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor
from mkdocs.utils import get_relative_url

from . import pages
from .config import Settings
from .graph import site_graph
from .htmlspace import squeeze
from .publish import HeadingIds
from .render import BACKLINKS_ID, GRAPH_ID, REFERENCES_ID
from .sanitize import Policy
from .site import (
    ASSETS,
    BIBLIOGRAPHY_PAGE,
    GRAPH_FILE,
    NOT_PUBLISHED,
    Build,
    add_alias_entries,
    content_html,
    description_meta,
    dest_url,
    fill_blocks,
    generated_markdown,
    nav_rank,
    note_markdown,
    notice_markdown,
    page_dests,
    page_meta,
    plain_dest,
    slug_dest,
    tail_sections,
)

CITE_LINE = "cite"  # the tail's slot for the line to cite the note by (it has no heading)
TAIL_HEADINGS = {REFERENCES_ID: "References", BACKLINKS_ID: "Linked from", GRAPH_ID: "Graph"}


class StageError(Exception):
    """The site cannot be staged as planned, or the built site is not what fmkb staged (a page's
    content not found): nothing is published."""


@dataclass(frozen=True, slots=True)
class StagedPage:
    src: str  # the page's source: a note's path in the vault, or a generated page's name
    path: str  # where its Markdown is staged, relative to the staged docs folder
    dest: str  # the file the generator writes for it, relative to the site
    url: str  # its URL, relative to the site's root ('./' for the home page)


@dataclass(slots=True)
class Layout:
    """Where everything of the site goes: one plan for the stage and the finish."""

    pages: dict[str, StagedPage]  # source -> page: the notes, then the generated pages
    attachments: list[str]  # vault paths copied as they are (they keep their paths and URLs)
    generated: dict[str, str]  # generated page -> its Markdown (before its tables are made)
    nav: list[Any]  # the navigation as MkDocs' `nav:` setting spells it, over the staged paths
    bib_download: bool  # references.bib is published beside the Bibliography
    unrenderable: frozenset[str] = frozenset()  # notes the check's renderer failed on: a notice each
    by_dest: dict[str, str] = field(default_factory=dict)  # output file -> source
    tails: dict[str, set[str]] = field(default_factory=dict)  # page -> the tail slots its Markdown holds
    files: frozenset[str] = frozenset()  # the attachments, to look up

    def __post_init__(self) -> None:
        self.by_dest = {p.dest: src for src, p in self.pages.items()}
        self.files = frozenset(self.attachments)


def staged_path(src: str, dest: str) -> str:
    """Where a page's Markdown goes so that a generator with directory URLs writes it to
    `dest`: 'concepts/scaling-laws/index.html' -> 'concepts/scaling-laws.md'; an index page
    stays an index ('papers/index.md'), so the generator treats it as its section's."""
    folder = posixpath.dirname(dest)
    stem = posixpath.splitext(posixpath.basename(src))[0].lower()
    if stem in ("index", "readme") or not folder:
        return posixpath.join(folder, "index.md")
    return folder + ".md"


def _url(dest: str, slugged: bool) -> str:
    return dest_url(dest) if slugged else quote(dest_url(dest))


def _sort_key(src: str) -> tuple:
    """MkDocs' order of pages (`file_sort_key`): by folder, the index first, then by name."""
    parts = tuple(src.split("/"))
    return (parts[:-1], posixpath.splitext(parts[-1])[0] not in ("index", "README"), parts[-1])


def plan(
    build: Build,
    settings: Settings,
    *,
    clean_urls: bool = True,
    generate: bool = True,
    tags: bool = False,
    nav_config: list[Any] | None = None,
    nav_limit: int = 0,
    unrenderable: Iterable[str] = (),
) -> Layout:
    """Lay out the site as the MkDocs build does: the notes at their slug URLs (`clean_urls`),
    then the generated pages where no note has their name (`generate`; a Tags page with
    `tags`), the attachments at their own paths, and the navigation: `nav_config` mapped onto
    the staged pages, or MkDocs' own (folders as sections) in the plugin's order; above
    `nav_limit` pages (0: never) each section shows only its index page, which lists every
    note (the plugin shows a window of the section around each page: a generator without
    a page's own navigation cannot)."""
    analysis = build.analysis
    notes = sorted(build.notes, key=_sort_key)
    attachments = sorted(analysis.vault.files)
    taken = set(attachments) | set(ASSETS) | {GRAPH_FILE, pages.BIB_DOWNLOAD}
    dests = page_dests(notes, taken, slug_dest) if clean_urls else {}
    staged = {src: StagedPage(src, "", dests.get(src) or plain_dest(src), "") for src in notes}
    generated: dict[str, str] = {}
    bib_download = False
    if generate:
        bib_download = pages.BIB_DOWNLOAD not in analysis.vault.files and bool(settings.bibliography)
        # the Bibliography links to the file beside it by the URL MkDocs makes of its name
        bib_link = get_relative_url(pages.BIB_DOWNLOAD, dest_url(plain_dest(BIBLIOGRAPHY_PAGE)))
        taken_dests = {page.dest for page in staged.values()}  # a note at a generated page's URL keeps it
        for src, text in pages.generated_pages(analysis, tags, bib_link).items():
            if src not in staged and plain_dest(src) not in taken_dests:
                generated[src] = text
                staged[src] = StagedPage(src, "", plain_dest(src), "")
    out = {  # MkDocs quotes the URLs it makes itself; slugs need no quoting
        src: StagedPage(src, staged_path(src, page.dest), page.dest, _url(page.dest, src in dests))
        for src, page in staged.items()
    }
    build.urls.update({src: out[src].url for src in notes})
    paths = {src: page.path for src, page in out.items()}
    nav = _mapped_nav(nav_config, paths) if nav_config else _default_nav(sorted(out, key=_sort_key), paths)
    if not nav_config and 0 < nav_limit < len(out):
        nav = _closed(nav)
    return Layout(out, attachments, generated, nav, bib_download, frozenset(unrenderable))


def _closed(items: list[Any]) -> list[Any]:
    """Every section as its first item: its index page, or its first page or subsection (as
    `navigation.windowed` shows the sections a page is not in)."""
    out = []
    for item in items:
        if isinstance(item, dict):
            title, children = next(iter(item.items()))
            item = {title: _closed(children[:1]) if isinstance(children, list) else children}
        out.append(item)
    return out


def _default_nav(sources: list[str], paths: dict[str, str]) -> list[Any]:
    """MkDocs' navigation without a `nav:` setting (`nest_paths`: a section per folder, titled
    from its name), its top level in the plugin's order (`site.nav_rank`: page titles are not
    known yet when MkDocs sorts them, so the pages keep their order), section titles escaped."""
    from mkdocs.utils import dirname_to_title

    root: list[Any] = []
    sections: dict[tuple[int, str], list[Any]] = {}  # (the list a section is in, its title) -> its list
    for src in sources:
        branch = root
        for part in src.split("/")[:-1]:
            title = html.escape(dirname_to_title(part))
            found = sections.get((id(branch), title))
            if found is None:
                found = sections[(id(branch), title)] = []
                branch.append({title: found})
            branch = found
        branch.append(paths[src])
    inverse = {path: src for src, path in paths.items()}

    def rank(item: Any) -> tuple[int, str]:
        if isinstance(item, str):
            return nav_rank(True, False, inverse[item], None)
        return nav_rank(False, True, None, html.unescape(next(iter(item))))

    return sorted(root, key=rank)


def nav_page(entry: str) -> str:
    """The source a `nav:` entry names, as MkDocs looks it up (`Files.get_file_from_path`)."""
    return PurePosixPath(entry).as_posix()


def nav_links(items: list[Any], pages: Collection[str]) -> list[str]:
    """The entries of a `nav:` setting that name no page of the site, as written: MkDocs makes
    each a link to that address (and says so, unless it is another site's)."""
    out: list[str] = []
    for item in items:
        values = item.values() if isinstance(item, dict) else [item]
        for value in values:
            if isinstance(value, str) and nav_page(value) not in pages:
                out.append(value)
            elif isinstance(value, list):
                out += nav_links(value, pages)
    return out


@dataclass(frozen=True, slots=True)
class _Link:
    """An untitled `nav:` entry naming no page: MkDocs' link to it, titled "None"."""

    url: str


def _mapped_nav(items: list[Any], paths: dict[str, str]) -> list[Any]:
    """The site's own `nav:` with each page's source path replaced by its staged path; an entry
    naming no page stays the link MkDocs makes of it, titled as MkDocs titles it."""

    def one(item: Any) -> Any:
        if isinstance(item, str):
            staged = paths.get(nav_page(item))
            return staged if staged is not None else _Link(item)
        if isinstance(item, dict):
            return {
                title: paths.get(nav_page(value), value) if isinstance(value, str) else [one(x) for x in value or []]
                for title, value in item.items()
            }
        return item

    def rank(item: Any) -> tuple[int, str]:
        if isinstance(item, _Link):
            return nav_rank(False, False, None, None)
        if isinstance(item, str):
            return nav_rank(True, False, "index.md" if item == paths.get("index.md") else item, None)
        title, value = next(iter(item.items()))
        page = isinstance(value, str)
        return nav_rank(page, not page, "index.md" if value == paths.get("index.md") else None, str(title))

    def written(item: Any) -> Any:
        if isinstance(item, _Link):
            return {"None": item.url}
        if isinstance(item, dict):
            return {
                title: value if isinstance(value, str) else [written(x) for x in value] for title, value in item.items()
            }
        return item

    return [written(x) for x in sorted((one(x) for x in items), key=rank)]


# --- writing the stage ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteInfo:
    """What of the site's configuration the pages show."""

    name: str
    url: str | None


def here(layout: Layout, src: str) -> pages.Here:
    """The staged page's place: other pages' URLs as the layout gives them, and how its
    Markdown names a note or file from the folder it is staged in."""
    page = layout.pages[src]
    files = layout.files
    url = "" if page.url == "./" else page.url  # MkDocs' page URL: the home page's is empty

    def relative(path: str) -> str | None:
        target = layout.pages.get(path)
        return get_relative_url(target.url, url) if target is not None else None

    def relink(path: str) -> str | None:  # the URL MkDocs gives a Markdown link to it
        if path in layout.pages:
            return relative(path)
        return get_relative_url(quote(path), url) if path in files else None

    return pages.Here(url, relative, lambda: frozenset(layout.pages), relink)


def page_text(layout: Layout, build: Build, src: str, heading_ids: HeadingIds, site: SiteInfo) -> str:
    """A staged page: its front matter as the theme gets it, its Markdown, and the headings
    and placeholders of the blocks fmkb adds at its end."""
    place = here(layout, src)
    note = build.notes.get(src)
    if note is None:
        body = generated_markdown(build, src, layout.generated[src], place, None)
        if pages.TAGS_LISTING in body:
            body = body.replace(pages.TAGS_LISTING, _tags_markdown(layout, build, src, place), 1)
    elif note.path in build.too_complex:
        body = notice_markdown(note)
    else:
        body = note_markdown(build, note, place, heading_ids, (site.name, site.url))
        if note.path in layout.unrenderable:  # as the plugin does when the renderer fails on it
            body = f"{NOT_PUBLISHED}\n"
    meta = page_meta(build, src, {})
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when present: the same YAML, faster
    head = "---\n" + yaml.dump(meta, Dumper=dumper, allow_unicode=True, sort_keys=False) + "---\n" if meta else ""
    return head + "\n" + body.rstrip("\n") + "\n" + _tail_markdown(layout, build, src)


# an entity the escaped text already has, or a character Markdown or one of its extensions reads
_MARKDOWN_PUNCTUATION = re.compile(r"&#?\w+;|[\\`*_{}\[\]()#+\-.!|~=^$:@%]")


def _as_entity(m: re.Match) -> str:
    return m.group() if len(m.group()) > 1 else f"&#{ord(m.group())};"


def _tags_markdown(layout: Layout, build: Build, src: str, place: pages.Here) -> str:
    """The Tags page's listing, made by fmkb (Zensical's own takes memory that grows with the
    square of the vault: 0.8 GB at 1,000 notes): a heading per tag, as Material's has it, and
    its notes as a table the finished page fills in."""
    shown = []
    for note in build.notes.values():
        meta = page_meta(build, note.path, {})
        if meta.get("tags"):
            shown.append((note.path, str(meta["title"]), list(meta["tags"])))
    blocks = build.blocks_of(src)
    out = []
    for tag, anchor, listing in pages.tag_listing(shown, place.url_for):
        blocks.append(listing)
        placeholder = f'<div id="fmkb-block-{build.nonce}-{len(blocks) - 1}"></div>'
        name = _MARKDOWN_PUNCTUATION.sub(_as_entity, tag)  # escaped HTML, and no Markdown
        out.append(f'## <span class="md-tag">{name}</span> {{#{anchor}}}\n\n{placeholder}\n')
    return "\n".join(out)


def tail_placeholder(nonce: str, slot: str) -> str:
    return f'<div id="fmkb-tail-{nonce}-{slot}"></div>'


def _tail_markdown(layout: Layout, build: Build, src: str) -> str:
    """References, Linked from and Graph as Markdown headings (the table of contents and the
    search index list them) with placeholders the finished page fills."""
    tail = build.tails.get(src)
    slots = []
    if tail is not None and tail.references:
        slots.append(REFERENCES_ID)
    if tail is not None and tail.linked:
        slots.append(BACKLINKS_ID)
    if tail is not None and tail.cite_line:
        slots.append(CITE_LINE)
    if src in build.graphs:
        slots.append(GRAPH_ID)
    layout.tails[src] = set(slots)
    out = []
    for slot in slots:
        title = TAIL_HEADINGS.get(slot)
        if title:
            out.append(f"## {title} {{#{slot}}}\n")
        out.append(tail_placeholder(build.nonce, slot) + "\n")
    return "\n" + "\n".join(out) if out else ""


def write_stage(
    layout: Layout, build: Build, settings: Settings, docs: str, heading_ids: HeadingIds, site: SiteInfo
) -> int:
    """Write the staged docs folder `docs` (which must not exist): the pages, one at a time,
    the attachments, fmkb's assets, graph.json and references.bib. Returns the page count."""
    os.makedirs(docs)
    for src in layout.pages:
        _write(docs, layout.pages[src].path, page_text(layout, build, src, heading_ids, site).encode("utf-8"))
    for path in layout.attachments:
        target = os.path.join(docs, *path.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(settings.docs_dir, *path.split("/")), target, follow_symlinks=True)
    for asset in ASSETS:
        data = resources.files("fmkb").joinpath(asset.replace("assets/fmkb/", "assets/")).read_bytes()
        _write(docs, asset, data)
    if GRAPH_FILE not in layout.attachments:
        import json

        graph = site_graph(build.titles, build.links_out, build.links_in, build.urls)
        _write(docs, GRAPH_FILE, json.dumps(graph, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if layout.bib_download:
        with open(settings.bibliography, "rb") as fh:
            _write(docs, pages.BIB_DOWNLOAD, fh.read())
    return len(layout.pages)


def _write(root: str, rel: str, data: bytes) -> None:
    path = os.path.join(root, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path, "xb") as fh:  # a fresh folder: nothing is ever overwritten
            fh.write(data)
    except FileExistsError:
        raise StageError(f"'{rel}' is a file of the notes folder, and fmkb writes its own there") from None


# --- in the generator: where each page's content is ----------------------------------


def bounds(nonce: str) -> tuple[str, str]:
    """The comments that enclose a page's content in the generator's output."""
    return f"<!--fmkb-content-{nonce}-->", f"<!--/fmkb-content-{nonce}-->"


def as_written(nonce: str) -> str:
    """What `ContentBounds` puts before a relative URL so that the generator leaves it alone."""
    return f"fmkb-{nonce}-as-written:"


# a URL attribute's value (quoted or not) in a tag; one that starts with a scheme, '/', '#' or
# nothing is not relative to the page, and no generator rebases it
# (attributes before it are skipped whole, so a quoted '>' in one does not end the tag)
_URL_ATTRIBUTE = re.compile(
    r"""(<[A-Za-z][^\s/>]*(?:\s+(?!(?:href|src)\s*=)[^\s"'=<>`/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*"""
    r"""\s+(?:href|src)\s*=\s*)(["']?)([^"'\s>]*)""",
    re.IGNORECASE,
)
_NOT_RELATIVE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|[#/]|$")


class _Bounds(Postprocessor):
    """Runs on the page's HTML only: Python-Markdown also runs the postprocessors over
    fragments (the toc extension over a `data-toc-label`), which must stay as they are."""

    def __init__(self, md: Markdown, nonce: str) -> None:
        super().__init__(md)
        self.nonce = nonce
        self.armed = False  # set once every tree processor has run: what follows is the page

    def run(self, text: str) -> str:
        if not self.armed:
            return text
        self.armed = False
        mark = as_written(self.nonce)

        def keep(m: re.Match) -> str:
            if _NOT_RELATIVE.match(m.group(3)):
                return m.group()
            return m.group(1) + m.group(2) + mark + m.group(3)

        # Relative URLs are written for the page's URL, as MkDocs leaves them (fmkb made them,
        # or a note's author wrote them); a generator that rebases them from the source file's
        # folder (Zensical does) would move them: marked, they are left alone (`finish_page`
        # takes the mark off, and takes it off any text that looked like an attribute).
        text = _URL_ATTRIBUTE.sub(keep, text)
        for token in _walk(getattr(self.md, "toc_tokens", [])):
            # A theme may print a heading's HTML in its table of contents, where fmkb's
            # sanitizer never runs: it gets the heading's text, as MkDocs gives it.
            token["html"] = token.get("name", "")
            if token.get("data-toc-label"):  # its text, as the toc extension names the heading
                token["data-toc-label"] = token.get("name", "")
        start, end = bounds(self.nonce)
        return f"{start}{text}{end}"


def _walk(tokens: Iterable[dict]) -> Iterable[dict]:
    for token in tokens:
        yield token
        yield from _walk(token.get("children", []))


class ContentBounds(Extension):
    """Marks where a page's content starts and ends, with the build's random nonce (no note
    can forge the end), keeps its relative URLs as written, and keeps raw HTML out of its
    table of contents. Page-local, so a generator's page cache cannot make it stale."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"nonce": ["", "the build's nonce"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        bounds = _Bounds(md, str(self.getConfig("nonce")))
        md.treeprocessors.register(_Arm(md, bounds), "fmkb_bounds_arm", -1000)
        md.postprocessors.register(bounds, "fmkb_bounds", -1000)


class _Arm(Treeprocessor):
    """The last tree processor: the next run of the postprocessors is the page's."""

    def __init__(self, md: Markdown, bounds: _Bounds) -> None:
        super().__init__(md)
        self.bounds = bounds

    def run(self, root: Any) -> None:
        self.bounds.armed = True


def makeExtension(**kwargs: Any) -> ContentBounds:  # noqa: N802 (Python-Markdown's entry point)
    return ContentBounds(**kwargs)


# --- finishing the built site -----------------------------------------------------------


def finish_page(layout: Layout, build: Build, src: str, output: str, policy: Policy, squeezed: bool) -> str:
    """A built page as published: its content through the plugin's steps (tokens filled,
    sanitized, tables put in), the References, Linked-from and Graph blocks into their
    places (at the content's end if Markdown swallowed a placeholder), the description."""
    start, end = bounds(build.nonce)
    a = output.find(start)
    b = output.find(end, a + len(start)) if a != -1 else -1
    if a == -1 or b == -1 or output.find(start, a + 1) != -1:
        raise StageError(f"{layout.pages[src].dest}: the page's content was not found once in the built page")
    content = output[a + len(start) : b].replace(as_written(build.nonce), "")
    for slot in layout.tails.get(src, ()):  # a placeholder Markdown took for inline HTML
        marker = tail_placeholder(build.nonce, slot)
        content = content.replace(f"<p>{marker}</p>", marker, 1)
    content = _footnotes_first(content_html(build, src, content, policy), layout.tails.get(src, set()), build.nonce)
    content = fill_blocks(build, src, content, policy)
    left = []
    for section in tail_sections(build, src, policy):
        slot = section.id or CITE_LINE
        marker = tail_placeholder(build.nonce, slot)
        if slot in layout.tails.get(src, ()) and marker in content:
            content = content.replace(marker, section.body, 1)
            written = f"## {section.title} {{#{slot}}}"  # the heading, left as text by an unclosed HTML block
            if section.id and f'id="{slot}"' not in content and written in content:
                content = content.replace(written, f'<h2 id="{slot}">{section.title}</h2>', 1)
        else:
            left.append(section.html())
    output = output[:a] + content + "".join(left) + output[b + len(end) :]
    output = description_meta(build, src, output)
    return squeeze(output) if squeezed else output


def _footnotes_first(content: str, slots: set[str], nonce: str) -> str:
    """The footnotes (which Python-Markdown puts last) before the blocks fmkb adds, where the
    MkDocs build has them."""
    # the last heading with the id: a note's own heading may have taken it before fmkb's block
    found = [content.rfind(f'<h2 id="{slot}"') if slot in TAIL_HEADINGS else -1 for slot in slots]
    found += [content.find(tail_placeholder(nonce, CITE_LINE))] if CITE_LINE in slots else []
    starts = [at for at in found if at != -1]
    if not starts:
        return content
    tail = min(starts)
    notes = content.find('<div class="footnote">', tail)  # after the tail: the footnotes extension's
    return content if notes == -1 else content[:tail] + content[notes:] + content[tail:notes]


def finish_search_items(
    layout: Layout, build: Build, items: list[dict], policy: Policy, inherit: tuple[str, ...] = ()
) -> list[dict]:
    """A search index's entries as the plugin's search has them: fmkb's tokens turned into
    the text a reader sees, the text and titles sanitized (a search box shows them as HTML),
    no entries for the References, Linked-from and Graph blocks, and an entry for each
    note's aliases. `items`: dicts with `location` ('url#anchor'), `title` and `text`.
    Run before `finish_page`, which empties the build's stashes."""
    by_url = {("" if p.url == "./" else p.url): src for src, p in layout.pages.items()}
    # fmkb's blocks: on a page with them, the last entry with each block's id (a note's own
    # heading may have the id too, and keeps its entry, as in the MkDocs build)
    seen: set[tuple[str, str]] = set()
    skip: set[int] = set()
    for at in reversed(range(len(items))):
        url, _, anchor = str(items[at].get("location", "")).partition("#")
        if (
            anchor in layout.tails.get(by_url.get(url, ""), ())
            and anchor in TAIL_HEADINGS
            and (url, anchor) not in seen
        ):
            seen.add((url, anchor))
            skip.add(at)
    out = []
    for at, item in enumerate(items):
        if at in skip:
            continue
        url = str(item.get("location", "")).partition("#")[0]
        stash = build.stashes.get(by_url.get(url, ""))
        for name in ("title", "text"):
            value = item.get(name)
            if isinstance(value, str):
                value = value.replace(as_written(build.nonce), "")
                item[name] = policy.clean(stash.plain(value) if stash is not None else value)
        out.append(item)
    names = {("" if url == "./" else url): found for url, found in build.alias_names().items()}
    data = {"items": out}
    add_alias_entries(data, names, "items", inherit)
    return data["items"]


def each_page(layout: Layout, site_dir: str) -> Iterable[tuple[str, str]]:
    """(source, built file) of each staged page the generator wrote."""
    for dest, src in layout.by_dest.items():
        path = os.path.join(site_dir, *dest.split("/"))
        if os.path.isfile(path):
            yield src, path


def rewrite(path: str, change: Callable[[str], str]) -> None:
    """Apply `change` to a built file (inside the staging folder, before it is published)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(change(text))

"""The `fmkb` MkDocs plugin: the engine's findings, rendered into the site.

One engine pass per build (in `on_files`); pages are then rendered from its
results without re-reading or re-parsing anything. Under `mkdocs serve` the
plugin persists across rebuilds (it has `on_startup`), so an unchanged
references.bib is not parsed again.
"""

from __future__ import annotations

import datetime
import html
import json
import logging
import os
import posixpath
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils import get_relative_url
from mkdocs.utils.templates import TemplateContext

from . import pages
from .bibliography import Bibliography
from .config import ConfigError, FmkbConfig, MarkdownSetup, Settings, settings_from
from .dates import last_updated
from .diagnostics import Diagnostic, Severity, diag, one_line, printable
from .dirty import outdated
from .engine import Analysis, analyze
from .fsutil import write_atomic
from .fulltext import IndexWriter, plain_text
from .graph import Edges, adjacency, local_graph, note_edges, site_graph
from .htmlspace import squeeze
from .incremental import Carry
from .load import Parsed
from .model import Note
from .navigation import windowed
from .publish import HeadingIds, note_header, page_markdown, renderer_failure, too_complex
from .render import (
    Backlink,
    BibView,
    PageContext,
    Stash,
    backlinks_section,
    cite_this_note,
    references_section,
)
from .sanitize import Policy
from .schema import theme_meta
from .sources import classify, published

log = logging.getLogger("mkdocs.plugins.fmkb")

NOT_PUBLISHED = "This note is not published: it is too large or too complex to render (see `fmkb check`)."
ASSETS = ("assets/fmkb/fmkb.css", "assets/fmkb/fmkb.js")
SHARDS_DIR = ("search", "fmkb")  # a large site's sharded search index (fulltext.py)
SEARCH_MARKER = '<meta name="fmkb:search" content="sharded">'  # fmkb.js answers the search box from it
GRAPH_FILE = "graph.json"  # the Graph page's data, beside the site's pages
KIND_ORDER = ["papers", "models", "concepts", "resources"]


def slug_dest(src_uri: str) -> str:
    """Where a page is written: 'papers/Scaling Laws.md' -> 'papers/scaling-laws/index.html'."""
    parts = src_uri.split("/")
    stem = posixpath.splitext(parts[-1])[0]
    folders = [slug_segment(p) for p in parts[:-1]]
    if stem.lower() in ("index", "readme"):
        return posixpath.join(*folders, "index.html") if folders else "index.html"
    return posixpath.join(*folders, slug_segment(stem), "index.html")


def slug_segment(text: str) -> str:
    """URL segment for a file or folder name: 'Scaling laws' -> 'scaling-laws'."""
    s = re.sub(r"[^\w\s.-]", "", text.lower(), flags=re.UNICODE)
    s = re.sub(r"[\s_.-]+", "-", s).strip("-")
    return s or "page"


def add_alias_entries(data: dict, names: dict[str, tuple[list[str], str]]) -> int:
    """Give each note with aliases (or a bib key) an entry of their own in the search index,
    right after its page's: titled with the aliases, so the search's title boost ranks the
    page first for "Chinchilla" or "RLHF", and it finds "hoffmann2022training" too.
    `names` maps a page's location to (aliases, bib key). Returns how many were added."""
    docs, added = [], 0
    for doc in data.get("docs", []):
        docs.append(doc)
        found = names.get(doc.get("location", ""))
        if found is not None:  # the search box shows both fields as HTML: escape them
            aliases, key = found
            title = html.escape(", ".join(aliases) or key)
            text = html.escape("Also known as: " + ", ".join([*aliases, *([key] if key else [])]))
            docs.append({"location": doc["location"] + "#fmkb-aliases", "title": title, "text": text})
            added += 1
    data["docs"] = docs
    return added


def plain_title(title: str) -> str:
    """A note title as plain text: entities decoded, inline code and emphasis marks dropped."""
    return " ".join(re.sub(r"`|\*{1,3}", "", html.unescape(title)).split())


def _escape_section_titles(items) -> None:
    for item in items:
        if item.is_section:
            item.title = html.escape(item.title or "")
            _escape_section_titles(item.children)


class PrintableLog(logging.Filter):
    """Shows control characters in every log record as escapes: MkDocs' own warnings quote
    link targets from notes (percent-decoded), which must never start a line of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = printable(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _printable_logs() -> None:
    for handler in [*logging.getLogger("mkdocs").handlers, *logging.getLogger().handlers]:
        if not any(isinstance(f, PrintableLog) for f in handler.filters):
            handler.addFilter(PrintableLog())


@dataclass(frozen=True, slots=True)
class Tail:
    """A page's References and Linked-from blocks: made when the page is finished."""

    make: Callable[[], tuple[str, str]]
    references: bool  # whether there will be a References block (for the table of contents)
    backlinks: bool


@dataclass(slots=True)
class Build:
    """What one build knows of the notes, and what its page hooks fill and empty: created in
    one place (`Build.of`, from the engine's pass in `on_files`)."""

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


class GeneratedPage(File):
    """A page fmkb generates. A dirty rebuild renders it again only when its Markdown or
    what its tables read has changed (MkDocs renders every generated file)."""

    unchanged = False

    def is_modified(self) -> bool:
        return not (self.unchanged and os.path.isfile(self.abs_dest_path))


def _backlinks(edges: dict[str, Edges]) -> dict[str, list[tuple[str, str]]]:
    """Each note's linking notes, once each, with the sentence around the first such link."""
    back: dict[str, list[tuple[str, str]]] = {}
    for path, out in edges.items():
        for target, context in (out.contexts or {}).items():
            back.setdefault(target, []).append((path, context))
    return back


class FmkbPlugin(BasePlugin[FmkbConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self._bib_memo: dict[str, Bibliography] = {}  # sha256 of references.bib -> its parse: kept across rebuilds
        self._notes_memo: dict[str, Parsed] = {}  # path -> the last parse of that note: kept across rebuilds
        self._carry = Carry()  # the last rebuild's check results, reused where nothing they read changed
        self._blocks = pages.Blocks()  # the last rebuild's generated tables, likewise
        self._last: Build | None = None  # the last rebuild's, to tell which pages an edit changed
        self._slugs: dict[str, str] = {}  # page source -> where it is written (a pure function, kept)
        self._last_pages: dict[str, tuple[str, tuple]] = {}  # generated page -> its Markdown and reads
        self.command = "build"
        self.dirty = False
        self._memo_key = ""  # the settings the memos above belong to
        self.build: Build | None = None  # created in on_files, once per build
        self._search_entries: list | None = None  # the search plugin's entries, taken page by page
        self._fulltext: IndexWriter | None = None  # a large site's sharded search index (fulltext.py)

    # Defining on_startup makes MkDocs keep this instance across `mkdocs serve` rebuilds.
    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.command = command
        self.dirty = dirty  # `mkdocs serve --dirty`: each rebuild renders only the pages that changed

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        _printable_logs()
        setup = MarkdownSetup.of(config.markdown_extensions, config.mdx_configs)
        try:
            self.settings: Settings = settings_from(
                config.config_file_path,
                config["docs_dir"],
                self.config,
                setup,
                config["exclude_docs"],
            )
        except ConfigError as e:
            raise PluginError(str(e)) from None
        if self._memo_key != repr(self.settings):  # another project or other settings: nothing carries over
            self._memo_key = repr(self.settings)
            self._bib_memo, self._notes_memo, self._carry, self._blocks = {}, {}, Carry(), pages.Blocks()
            self._last, self._last_pages = None, {}
        self.heading_ids = HeadingIds(setup)
        self.policy = Policy.allowing(self.settings.allow_html, tuple(setup.names))
        for asset in ASSETS:
            target = config.extra_css if asset.endswith(".css") else config.extra_javascript
            if asset not in [str(x) for x in target]:
                target.append(asset)
        return config

    # --- one engine pass ------------------------------------------------------------

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        """One engine pass, then the site's file list: what fmkb checked, at slug URLs, with its
        assets and generated pages."""
        build = self.build = self._run_engine(files)
        self._search_entries, self._fulltext = None, None
        mode = self.config.search_index
        if mode == "sharded" or (mode == "auto" and len(build.notes) > self.config.sharded_search_above):
            search = next((p for p in config.plugins.values() if hasattr(p, "search_index")), None)
            entries = getattr(getattr(search, "search_index", None), "entries", None)
            if isinstance(entries, list):
                self._search_entries, self._fulltext = entries, IndexWriter()
        if self.config.last_updated:  # one `git log` for the whole vault
            build.updated = last_updated(self.settings.docs_dir, build.notes)
        self._drop_unpublished(build, files)
        if self.config.clean_urls:
            self._slug_urls(files)
        build.urls.update({f.src_uri: f.url for f in files.documentation_pages() if f.src_uri in build.notes})
        self._add_assets(files, config)
        self._generate_pages(build, files, config)
        if self.dirty and self._last is not None:
            self._outdate(build, self._last, files)
        self._last = build
        return files

    def _reuse(self) -> pages.Blocks | None:
        """The last rebuild's generated tables, under `mkdocs serve` (a one-off build has none)."""
        return self._blocks if self.command == "serve" else None

    def _outdate(self, build: Build, last: Build, files: Files) -> None:
        """Mark out of date the pages of the notes an edit changed beyond their own file
        (`dirty.outdated`): a dirty rebuild then renders them again."""
        stale = outdated(build, last, self._carry.fresh)
        for f in files.documentation_pages():
            if f.src_uri in stale and os.path.isfile(f.abs_dest_path):
                os.utime(f.abs_dest_path, (0, 0))  # older than its note: rendered again

    def _graph_file(self, build: Build, files: Files, config: MkDocsConfig) -> None:
        """graph.json: the Graph page's data, the most linked notes and their links."""
        graph = site_graph(build.titles, build.links_out, build.links_in, build.urls)
        data = json.dumps(graph, ensure_ascii=False, separators=(",", ":"))
        files.append(File.generated(config, GRAPH_FILE, content=data))

    def _run_engine(self, files: Files) -> Build:
        """Load and check everything once (the notes MkDocs found in docs_dir: the files it
        will publish, not another listing); log the diagnostics; start this build's state."""
        settings = self.settings
        found = classify(published(files, settings.docs_dir), settings.docs_dir, settings.allow_files)
        carry = self._carry if self.command == "serve" else None  # a one-off build has nothing to carry
        analysis = analyze(settings, self._notes_memo, self._bib_memo, carry, found)
        for d in analysis.report.diagnostics:
            (log.warning if d.severity is Severity.ERROR else log.info)(one_line(d))
        return Build.of(analysis, carry, self._last)

    def _add_assets(self, files: Files, config: MkDocsConfig) -> None:
        for asset in ASSETS:
            content = resources.files("fmkb").joinpath(asset.replace("assets/fmkb/", "assets/")).read_text("utf-8")
            files.append(File.generated(config, asset, content=content))

    def _generate_pages(self, build: Build, files: Files, config: MkDocsConfig) -> None:
        """The Bibliography (and the file itself, to download), the section indexes and the tags
        page, where no note of that name exists."""
        if not self.config.generate_pages:
            return
        if files.get_file_from_path(pages.BIB_DOWNLOAD) is None and self.settings.bibliography:
            with open(self.settings.bibliography, "rb") as fh:
                files.append(File.generated(config, pages.BIB_DOWNLOAD, content=fh.read()))
        published = frozenset(build.urls)
        for src_uri, text in pages.generated_pages(build.analysis, config, files).items():
            if files.get_file_from_path(src_uri) is None:
                page = GeneratedPage.generated(config, src_uri, content=text)
                assert isinstance(page, GeneratedPage)  # File.generated makes an instance of its class
                if self.dirty and "<!-- material/tags" in text and src_uri in self._last_pages:
                    # Material's tags plugin lists only the pages a build renders: rendered in a
                    # dirty rebuild, the tags page would lose the rest. A full build refreshes it.
                    page.unchanged = True
                elif self.dirty:
                    made = (text, pages.page_reads(text, build.analysis, published))
                    page.unchanged = self._last_pages.get(src_uri) == made
                    self._last_pages[src_uri] = made
                files.append(page)
                build.generated[src_uri] = text
        if files.get_file_from_path(GRAPH_FILE) is None:
            self._graph_file(build, files, config)

    def _drop_unpublished(self, build: Build, files: Files) -> None:
        """Of the files MkDocs took from docs_dir, publish only the notes fmkb checked and the
        attachments it accepted: a refused file (active content, a link out of the vault, a
        hidden target) or one fmkb never saw is not published."""
        docs = os.path.abspath(self.settings.docs_dir)
        keep = set(build.notes) | build.analysis.vault.files
        for f in list(files):
            if f.generated_by is None and f.src_dir and os.path.abspath(f.src_dir) == docs and f.src_uri not in keep:
                files.remove(f)

    def _slug_urls(self, files: Files) -> None:
        taken = {f.dest_uri for f in files if not f.is_documentation_page()}
        for f in files.documentation_pages():
            dest = self._slugs.get(f.src_uri)
            if dest is None:
                dest = self._slugs[f.src_uri] = slug_dest(f.src_uri)
            if dest in taken:
                continue  # two names with one slug: the second keeps MkDocs' own URL
            taken.add(dest)
            f.dest_uri = dest
            f.url = (posixpath.dirname(dest) + "/") if posixpath.dirname(dest) else "./"
            f.abs_dest_path = posixpath.normpath(posixpath.join(f.dest_dir, dest))

    def on_page_read_source(self, *, page: Page, config: MkDocsConfig) -> str | None:
        """Hand MkDocs the text fmkb checked, never the file again.

        The text is decoded as fmkb decoded it (a file that is not UTF-8 is reported,
        not a crash); front matter fmkb refused is left out (MkDocs' own YAML loader
        would crash on a hundred thousand levels of nesting, or expand an alias bomb);
        a note too complex to render gets a notice in place of its body.
        """
        build = self.build
        note = build.notes.get(page.file.src_uri) if build else None
        if build is None or note is None:
            return None
        if note.path in build.too_complex:
            return f"\n# {html.escape(plain_title(note.title))}\n\n{NOT_PUBLISHED}\n"
        # the body alone, after a line break: MkDocs never parses front matter (fmkb's parse is the
        # only one, and `_theme_meta` hands it over), not even a body that opens with `---`
        return "\n" + note.text[note.body_start :]

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        """A note whose nesting the renderer cannot take (RecursionError) is published as a
        notice instead of stopping the build; `fmkb check` reports it (`note-too-complex`)."""
        if self.build is None or page.file.src_uri not in self.build.notes:
            return page
        render = page.render

        def render_or_notice(config: MkDocsConfig, files: Files) -> None:
            try:
                render(config, files)
            except Exception as e:
                log.warning(one_line(self._unrenderable(page.file.src_uri, e)))
                page.markdown = f"{NOT_PUBLISHED}\n"
                render(config, files)

        page.render = render_or_notice  # type: ignore[method-assign]  # MkDocs has no hook around render
        return page

    def _unrenderable(self, src: str, error: Exception) -> Diagnostic:
        shown = self.settings.shown(os.path.join(self.settings.docs_dir, src))
        return diag(shown, 1, 1, "note-too-complex", *renderer_failure(error))

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        index_path = os.path.join(config["site_dir"], "search", "search_index.json")
        if self._fulltext is not None:
            written = self._fulltext.write(os.path.join(config["site_dir"], *SHARDS_DIR))
            pages_indexed = len(self._fulltext.pages)
            log.info("fmkb: wrote a sharded search index of %d pages (%.1f MB)", pages_indexed, written / 1e6)
            self._fulltext = None
        elif self.build is not None and os.path.isfile(index_path):
            self._index_aliases(self.build, index_path)

    def _index_aliases(self, build: Build, path: str) -> None:
        import json

        entries = build.analysis.bib.entries
        names: dict[str, tuple[list[str], str]] = {}
        for note in build.notes.values():
            cite = note.meta.get("cite")
            key = cite if isinstance(cite, str) and cite in entries else ""
            if (note.aliases or key) and note.path in build.urls:
                names[build.urls[note.path]] = (note.aliases, key)
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if add_alias_entries(data, names):
            write_atomic(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    # --- navigation -----------------------------------------------------------------

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        def rank(item) -> tuple[int, str]:
            if item.is_page and item.file and item.file.src_uri == "index.md":
                return (0, "")
            title = (item.title or "").lower()
            if item.is_section and title in KIND_ORDER:
                return (1 + KIND_ORDER.index(title), title)
            generated = {"graph": 89, "bibliography": 90, "tags": 91}
            return (generated.get(title, 50), title)

        nav.items.sort(key=rank)
        _escape_section_titles(nav.items)  # a folder's name becomes a section title the theme prints raw
        return nav

    # --- pages ----------------------------------------------------------------------

    @event_priority(100)  # before any other plugin reads the page's front matter
    def _theme_meta(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Only front matter the schema accepts reaches the theme, escaped where it is shown."""
        if self.build is not None:
            note = self.build.notes.get(page.file.src_uri)
            page.meta = theme_meta(note.meta if note is not None else page.meta)
            if note is not None:  # always set: a title MkDocs takes from the H1 reaches <title> unescaped
                page.meta["title"] = html.escape(plain_title(note.title))
                updated = self.build.updated.get(note.path)
                if updated is not None:  # Material shows it under the page as "Last update"
                    page.meta["revision_date"] = updated.isoformat()
        return markdown

    def _page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        build = self.build
        if build is None:
            return markdown
        src = page.file.src_uri
        if src in build.generated:
            return pages.fill_markers(
                markdown, build.analysis, build.view, page, files, build.blocks_of(src), build.nonce, self._reuse()
            )
        note = build.notes.get(src)
        if note is None or note.path in build.too_complex:
            return markdown

        def url_for(path: str) -> str:
            target = files.get_file_from_path(path)
            return get_relative_url(target.url, page.url) if target else "#"

        def paper_note_url(key: str, here: str) -> str | None:
            path = build.paper_notes.get(key)
            return url_for(path) if path is not None and path != here else None

        ctx = PageContext(build.analysis.index, self.heading_ids, url_for)
        stash = build.stashes[src] = Stash()
        paper_key = note.meta.get("paper")
        paper = build.paper_notes.get(paper_key) if isinstance(paper_key, str) else None
        cited_in = None
        if note.kind == "paper" and isinstance(note.meta.get("cite"), str):
            citing = build.analysis.report.cited.get(note.meta["cite"], [])
            cited_in = [
                (build.notes[p].title, url_for(p)) for p in dict.fromkeys(citing) if p != src and p in build.notes
            ]
        header = note_header(note, build.view, url_for(paper) if paper else None, cited_in)
        body, cited = page_markdown(note, ctx, build.view, stash, header)
        body = pages.fill_markers(
            body, build.analysis, build.view, page, files, build.blocks_of(src), build.nonce, self._reuse()
        )
        bib_file = files.get_file_from_path("bibliography.md")
        bib_url = get_relative_url(bib_file.url, page.url) if bib_file else None
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
        # appended to the finished page in on_post_page: Markdown has nothing to do with these
        # blocks, and they are made only then (held for every page at once, they were a tenth
        # of a large build's memory)
        citation = cite_this_note(config.site_name, note.title, config.site_url, page.url)
        build.tails[src] = Tail(
            lambda: (
                "" if home else references_section(cited, build.view, bib_url, lambda key: paper_note_url(key, src)),
                backlinks_section(sources) + citation,
            ),
            bool(cited) and not home,
            bool(sources) or bool(citation),
        )
        return body

    on_page_markdown = CombinedEvent(_theme_meta, _page_markdown)

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        build = self.build
        if build is None:
            return html
        stash = build.stashes.pop(page.file.src_uri, None)
        if stash is not None:
            html = stash.fill(html)
        target = build.cite_targets.get(page.file.src_uri)
        if target:  # citations on this page point into the Bibliography
            html = html.replace('<a class="fmkb-cite" href="#ref-', f'<a class="fmkb-cite" href="{target}#ref-')
        html = self.policy.clean(html)
        tail = build.tails.get(page.file.src_uri)
        # Material lists the page title's children when the page starts with its h1: add ours there
        items = page.toc.items
        toc = items[0].children if items and items[0].level == 1 else items
        if tail is not None and tail.references:
            toc.append(AnchorLink("References", "fmkb-references", 2))
        if tail is not None and tail.backlinks:
            toc.append(AnchorLink("Linked from", "fmkb-backlinks", 2))
        if page.file.src_uri in build.graphs:
            toc.append(AnchorLink("Graph", "fmkb-graph", 2))
        return html

    @event_priority(-50)  # after the search plugin has indexed the page
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """A large section's navigation as a window around this page (navigation.py); in a
        large vault, the page's search entries moved into the sharded index as soon as the
        search plugin makes them, so the full text of every page is never held at once."""
        if self._fulltext is not None and self._search_entries is not None:
            self._index_page(page, self._search_entries)
        self._window_nav(context, nav)
        return context

    def _window_nav(self, context: TemplateContext, nav: Navigation) -> None:
        if self.config.nav_limit > 0:
            trimmed = windowed(nav, self.config.nav_limit, self.config.nav_radius)
            if trimmed is not None:
                context["nav"] = trimmed

    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        """The theme's own pages (404.html) get the marker that makes fmkb.js answer the
        search box, as every page does in a large site."""
        if self._fulltext is not None and template_name.endswith(".html"):
            return output_content.replace("</head>", SEARCH_MARKER + "</head>", 1)
        return output_content

    def on_template_context(
        self, context: TemplateContext, *, template_name: str, config: MkDocsConfig
    ) -> TemplateContext:
        """A theme page (404.html) of a large vault gets the windowed navigation too: no
        section is open on it, so each shows only its index."""
        nav = context.get("nav")
        if isinstance(nav, Navigation):
            self._window_nav(context, nav)
        return context

    def _index_page(self, page: Page, entries: list) -> None:
        assert self._fulltext is not None and self.build is not None
        search = page.meta.get("search")
        if isinstance(search, dict) and search.get("exclude"):
            entries.clear()
            return  # left out of search, as the search plugin leaves it out
        note = self.build.notes.get(page.file.src_uri)
        names: tuple[str, ...] = ()
        if note is not None:
            cite = note.meta.get("cite")
            names = (*note.aliases, *([cite] if isinstance(cite, str) else []))
        sections = []
        for entry in entries:
            tags = " ".join(str(t) for t in entry.get("tags") or ())
            sections.append((plain_text(entry.get("title", "")) + " " + tags, plain_text(entry.get("text", ""))))
        title = plain_title(str(page.title or ""))
        self._fulltext.add(page.url, title, [(h.strip(), t) for h, t in sections], names)
        entries.clear()  # Material's own index stays empty: its box is answered from the shards

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        output = self._finish_page(output, page)
        return squeeze(output) if self.config.squeeze_html else output

    def _finish_page(self, output: str, page: Page) -> str:
        """Insert References and Linked-from at the end of the article.

        Done on the final HTML, after the search plugin has indexed the page: neither
        Markdown nor the search indexer need to parse these link lists.
        """
        build = self.build
        if build is None:
            return output
        note = build.notes.get(page.file.src_uri)
        if self._fulltext is not None:  # fmkb.js answers the search box from the shards
            output = output.replace("</head>", SEARCH_MARKER + "</head>", 1)
        description = note.meta.get("description") if note is not None else None
        if isinstance(description, str) and description.strip():  # what a link preview shows of this note
            meta = f'<meta name="fmkb:description" content="{html.escape(" ".join(description.split()))}">'
            output = output.replace("</head>", meta + "</head>", 1)
        blocks = build.blocks.pop(page.file.src_uri, None)
        if blocks:
            output = pages.fill_placeholders(output, [self.policy.clean(b) for b in blocks], build.nonce)
        tail = build.tails.pop(page.file.src_uri, None)
        refs, back = (self.policy.clean(t) for t in tail.make()) if tail is not None else ("", "")
        graph = build.graphs.pop(page.file.src_uri, None)
        if graph is not None:  # fmkb's own markup, its data escaped: the script draws it (fmkb.js)
            back += (
                '<h2 id="fmkb-graph">Graph</h2>\n'
                f'<div class="fmkb-graph-local" data-graph="{html.escape(graph())}"></div>\n'
            )
        if not (refs or back):
            return output
        at = output.rfind("</article>")
        if at == -1:  # a theme without <article>: append to the body instead
            at = output.rfind("</body>")
        if at == -1:
            return output + refs + back
        return output[:at] + refs + back + output[at:]

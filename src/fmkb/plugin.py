"""The `fmkb` MkDocs plugin: the engine's findings, rendered into the site.

One engine pass per build (in `on_files`); pages are then rendered from its
results without re-reading or re-parsing anything. Under `mkdocs serve` the
plugin persists across rebuilds (it has `on_startup`), so an unchanged
references.bib is not parsed again.
"""

from __future__ import annotations

import html
import json
import logging
import os
import posixpath
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
from .engine import analyze
from .fsutil import write_atomic
from .fulltext import IndexWriter, plain_text
from .graph import site_graph
from .htmlspace import squeeze
from .incremental import Carry
from .load import Parsed
from .navigation import windowed
from .publish import HeadingIds, renderer_failure
from .sanitize import Policy
from .site import (
    ASSETS,
    GRAPH_FILE,
    NOT_PUBLISHED,
    Build,
    add_alias_entries,
    before_article_end,
    content_html,
    description_meta,
    fill_blocks,
    generated_markdown,
    nav_rank,
    note_markdown,
    notice_markdown,
    page_dests,
    page_meta,
    plain_title,
    slug_dest,
    tail_sections,
)
from .sources import classify, published

log = logging.getLogger("mkdocs.plugins.fmkb")

SHARDS_DIR = ("search", "fmkb")  # a large site's sharded search index (fulltext.py)
SEARCH_MARKER = '<meta name="fmkb:search" content="sharded">'  # fmkb.js answers the search box from it
__all__ = ["FmkbPlugin", "NOT_PUBLISHED", "plain_title", "slug_dest"]


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


class GeneratedPage(File):
    """A page fmkb generates. A dirty rebuild renders it again only when its Markdown or
    what its tables read has changed (MkDocs renders every generated file)."""

    unchanged = False

    def is_modified(self) -> bool:
        return not (self.unchanged and os.path.isfile(self.abs_dest_path))


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
        tags = any(name.split("/")[-1] == "tags" for name in config.plugins)
        taken = {f.dest_uri for f in files}  # a note at a generated page's URL keeps it
        for src_uri, text in pages.generated_pages(build.analysis, tags).items():
            if files.get_file_from_path(src_uri) is None:
                page = GeneratedPage.generated(config, src_uri, content=text)
                assert isinstance(page, GeneratedPage)  # File.generated makes an instance of its class
                if page.dest_uri in taken:
                    continue
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

        def slug(src: str) -> str:
            dest = self._slugs.get(src)
            if dest is None:
                dest = self._slugs[src] = slug_dest(src)
            return dest

        dests = page_dests((f.src_uri for f in files.documentation_pages()), taken, slug)
        for f in files.documentation_pages():
            dest = dests.get(f.src_uri)
            if dest is None:
                continue  # two names with one slug: the second keeps MkDocs' own URL
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
            return notice_markdown(note)
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
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if add_alias_entries(data, build.alias_names()):
            write_atomic(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    # --- navigation -----------------------------------------------------------------

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        def rank(item) -> tuple[int, str]:
            src = item.file.src_uri if item.is_page and item.file else None
            return nav_rank(item.is_page, item.is_section, src, item.title)

        nav.items.sort(key=rank)
        _escape_section_titles(nav.items)  # a folder's name becomes a section title the theme prints raw
        return nav

    # --- pages ----------------------------------------------------------------------

    @event_priority(100)  # before any other plugin reads the page's front matter
    def _theme_meta(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Only front matter the schema accepts reaches the theme, escaped where it is shown."""
        if self.build is not None:
            page.meta = page_meta(self.build, page.file.src_uri, page.meta)
        return markdown

    def _here(self, page: Page, files: Files) -> pages.Here:
        """The page's place in MkDocs' site: other pages' URLs as MkDocs laid them out."""

        def relative(path: str) -> str | None:
            target = files.get_file_from_path(path)
            return get_relative_url(target.url, page.url) if target else None

        return pages.Here(page.url, relative, lambda: frozenset(f.src_uri for f in files.documentation_pages()))

    def _page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        build = self.build
        if build is None:
            return markdown
        src = page.file.src_uri
        if src in build.generated:
            return generated_markdown(build, src, markdown, self._here(page, files), self._reuse())
        note = build.notes.get(src)
        if note is None or note.path in build.too_complex:
            return markdown
        site = (config.site_name, config.site_url)
        return note_markdown(build, note, self._here(page, files), self.heading_ids, site, self._reuse())

    on_page_markdown = CombinedEvent(_theme_meta, _page_markdown)

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        build = self.build
        if build is None:
            return html
        html = content_html(build, page.file.src_uri, html, self.policy)
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
        src = page.file.src_uri
        if self._fulltext is not None:  # fmkb.js answers the search box from the shards
            output = output.replace("</head>", SEARCH_MARKER + "</head>", 1)
        output = description_meta(build, src, output)
        output = fill_blocks(build, src, output, self.policy)
        return before_article_end(output, "".join(s.html() for s in tail_sections(build, src, self.policy)))

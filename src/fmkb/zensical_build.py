"""Publishing with Zensical: one engine pass, the site staged as Markdown, `zensical build`,
then every page finished with the plugin's own steps.

Zensical reads mkdocs.yml and runs Python-Markdown extensions, but runs no MkDocs plugin:
the fmkb plugin is dropped without a word, and a build publishes raw `[[links]]` and
`[@keys]`. It also caches each rendered page by that page's own source, so an extension
that rendered cross-page output (backlinks, target titles, labels) would go stale. So
fmkb does the cross-page work itself, in the stage (`stage.py`), and hands Zensical only
page-local Markdown, in a folder fmkb owns (`.fmkb-zensical/`, always built `--clean`).
The finished site replaces `site-zensical/` in one rename.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import html
import importlib.util
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .config import Settings, load_project
from .diagnostics import Severity, one_line, printable
from .fsutil import exchange
from .pages import slug_tag
from .publish import HeadingIds
from .sanitize import Policy
from .site import ASSETS, Build
from .stage import (
    Layout,
    SiteInfo,
    StageError,
    each_page,
    finish_page,
    finish_search_items,
    here,
    nav_links,
    nav_page,
    plan,
    rewrite,
    write_stage,
)

STAGE_DIR = ".fmkb-zensical"  # fmkb's own: the staged docs, the generated config, Zensical's output and cache
LOCK_FILE = ".fmkb-zensical.lock"  # fmkb's own: held while a build uses the staging and site folders
SITE_DIR = "site-zensical"
STAGE_MARK = "FMKB-STAGE"  # in the staging folder: fmkb made it and empties it on every build
SITE_MARK = ".fmkb-zensical-site"  # in the published site: fmkb wrote it and may replace it
INSTALL_HINT = "pip install 'fmkb[zensical]'"
TAGS_PAGE = "tags.md"
SEARCH_FILE = "search.json"  # Zensical's search index, at the site's root
SEARCH_INHERITED = ("level", "path", "tags")  # what an alias entry copies from its page's entry
# Zensical's own progress lines, and a chained traceback's separators: the rest of what it says is passed on
_BANNER = (
    "Build started",
    "Build finished",
    "No issues found",
    "The above exception was the direct cause",
    "During handling of the above exception",
)
# Zensical (0.0.73) hands most settings to its Rust core, which takes only text, numbers, booleans,
# lists and mappings: a date, a set or a Python object there stops the build with this
_UNTAKEN_SETTING = re.compile(r"failed to extract field Project\.(\w+)")


class PublishError(Exception):
    """A reason not to build or publish, said in one sentence: exit status `code` (2: something
    is in the way; 1: the build failed)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Places:
    """The folders a Zensical build uses, all inside the project."""

    root: str
    stage: str  # fmkb's staging folder
    docs: str  # the staged docs (in `stage`)
    config: str  # the generated configuration (in `stage`)
    built: str  # where Zensical writes the site (in `stage`)
    site: str  # where the finished site is published

    @staticmethod
    def of(settings: Settings, site_dir: str | None) -> Places:
        root = settings.root
        stage = os.path.join(root, STAGE_DIR)
        site = os.path.normpath(os.path.join(root, site_dir or SITE_DIR))
        return Places(
            root,
            stage,
            os.path.join(stage, "docs"),
            os.path.join(stage, "mkdocs.yml"),
            os.path.join(stage, "site"),
            site,
        )


def zensical_installed() -> bool:
    return importlib.util.find_spec("zensical") is not None


def check_places(places: Places, settings: Settings) -> None:
    """Refuse what would write over a contributor's files: a staging folder or site folder
    fmkb did not make (or a link standing in for one), a site folder outside the project or
    over the notes."""
    real_root = os.path.realpath(places.root)
    site = os.path.realpath(places.site)
    docs = os.path.realpath(settings.docs_dir)
    if not site.startswith(real_root + os.sep):
        raise PublishError(f"the site folder '{places.site}' is not inside the project; fmkb will not write there")
    for other, what in ((docs, "the notes folder"), (os.path.realpath(places.stage), f"the {STAGE_DIR} folder")):
        if site == other or site.startswith(other + os.sep) or other.startswith(site + os.sep):
            raise PublishError(f"the site folder '{places.site}' overlaps {what}; choose another with --site-dir")
    _owned(places.stage, STAGE_MARK, "the staging folder")
    _owned(places.site, SITE_MARK, "the site folder")


def _owned(path: str, mark: str, what: str) -> None:
    if os.path.islink(path):
        raise PublishError(f"{what} '{path}' is a symbolic link; fmkb will not write through it (remove it)")
    if not os.path.exists(path):
        return
    if not os.path.isdir(path):
        raise PublishError(f"{what} '{path}' is a file; move it away")
    if os.listdir(path) and not os.path.isfile(os.path.join(path, mark)):
        raise PublishError(f"{what} '{path}' exists and was not made by fmkb; move it away or choose another")


def fresh_stage(places: Places) -> None:
    """Empty fmkb's staging folder (checked to be fmkb's) and mark it as fmkb's."""
    if os.path.exists(places.stage):
        shutil.rmtree(places.stage)
    os.makedirs(places.stage)
    with open(os.path.join(places.stage, STAGE_MARK), "w", encoding="utf-8") as fh:
        fh.write("Made by `fmkb zensical`, and emptied on every build: do not keep anything here.\n")


@contextlib.contextmanager
def project_lock(root: str) -> Iterator[None]:
    """Hold fmkb's lock file in the project while a build uses its staging and site folders:
    a second `fmkb zensical` in the same project stops at once, touching nothing. The lock is
    the kernel's (`flock`), so a build that dies leaves none behind; the file stays."""
    path = os.path.join(root, LOCK_FILE)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise PublishError(f"'{path}' is a symbolic link; fmkb will not follow it (remove it)") from None
        raise PublishError(f"cannot open the lock file '{path}': {e.strerror or e}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PublishError(f"'{path}' is not a plain file; move it away")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishError(
                f"another `fmkb zensical` is building this project (it holds {LOCK_FILE}); "
                "nothing was touched: run again once it has finished"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


class MkdocsLog(logging.Handler):
    """MkDocs' warnings while fmkb reads the project (the configuration, MkDocs' list of the
    notes folder, the navigation), said as `mkdocs build` says them and counted: a strict build
    fails on each, as `mkdocs build --strict` does. Used as a `with` block around the reading."""

    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.say = say
        self.count = 0
        self._logger = logging.getLogger("mkdocs")
        self._kept = (logging.NOTSET, True)  # the logger's level and propagation, while in the block

    def emit(self, record: logging.LogRecord) -> None:
        self.report(record.levelno, record.getMessage())

    def report(self, level: int, message: str) -> None:
        """Say and count one of MkDocs' messages at `level`; below WARNING it is neither (MkDocs'
        INFO lines are progress, and no strict build fails on them)."""
        if level < logging.WARNING:
            return
        self.count += 1
        self.say(f"{logging.getLevelName(level):<7} -  {printable(message)}")

    def __enter__(self) -> MkdocsLog:
        self._kept = (self._logger.level, self._logger.propagate)
        self._logger.addHandler(self)
        self._logger.setLevel(logging.WARNING)
        self._logger.propagate = False  # said here once, not again by a handler of the caller's
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._kept[0])
        self._logger.propagate = self._kept[1]


def nav_warnings(cfg: Any, layout: Layout) -> list[tuple[int, str]]:
    """What `mkdocs build` logs about the `nav:` entries naming no page, at the levels the
    site's `validation.nav` sets (MkDocs' `get_navigation`); another site's address is fine."""
    if not cfg["nav"]:
        return []
    rules = cfg["validation"]["nav"]
    found = set(layout.pages) | layout.files
    out = []
    for url in nav_links(cfg["nav"], found):
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            continue
        if url.startswith("/") and rules["absolute_links"] >= 0:  # -1: relative to the docs folder
            out.append(
                (
                    rules["absolute_links"],
                    f"An absolute path to '{url}' is included in the 'nav' configuration, "
                    "which presumably points to an external resource.",
                )
            )
        elif not (url.startswith("/") and nav_page(url.lstrip("/")) in found):
            out.append(
                (
                    rules["not_found"],
                    f"A reference to '{url}' is included in the 'nav' configuration, "
                    "which is not found in the documentation files.",
                )
            )
    return out


# --- the generated configuration -----------------------------------------------------


def _key(node: Node) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def _get(mapping: MappingNode, key: str) -> Node | None:
    return next((v for k, v in mapping.value if _key(k) == key), None)


def _set(mapping: MappingNode, key: str, value: Node | None) -> None:
    """Set (or, with None, remove) `key` in a YAML mapping node."""
    kept = [(k, v) for k, v in mapping.value if _key(k) != key]
    if value is not None:
        kept.append((ScalarNode("tag:yaml.org,2002:str", key), value))
    mapping.value = kept


def _node(data: Any) -> Node:
    node = yaml.compose(yaml.safe_dump(data, allow_unicode=True))
    assert node is not None
    return node


def _names(items: Node | None) -> list[str]:
    """The names in a list of plugins or extensions (`- name` or `- name: {options}`)."""
    if not isinstance(items, SequenceNode):
        return [k for k, _ in ((_key(k), v) for k, v in items.value) if k] if isinstance(items, MappingNode) else []
    out = []
    for item in items.value:
        if isinstance(item, ScalarNode):
            out.append(item.value)
        elif isinstance(item, MappingNode) and item.value:
            out.append(_key(item.value[0][0]) or "")
    return out


_MAP, _SEQ, _NULL = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:null"


def _composed(path: str, seen: tuple[str, ...] = ()) -> MappingNode:
    """A configuration file's YAML nodes (tags kept as written) with its `INHERIT` resolved as
    MkDocs resolves it (`mkdocs.utils.yaml.yaml_load`), so that what fmkb adds extends what the
    parent sets instead of replacing it: the parent's path is relative to the file naming it,
    a parent may inherit in turn, and the file's settings are merged into its parent's
    (mappings key by key, anything else, lists included, replaced)."""
    real = os.path.realpath(path)
    if real in seen:
        raise PublishError(f"{path}: INHERIT comes back to this file; fmkb cannot merge a circle")
    with open(path, encoding="utf-8") as fh:
        root = yaml.compose(fh, Loader=yaml.SafeLoader) or MappingNode(_MAP, [])
    if not isinstance(root, MappingNode):
        raise PublishError(f"{path}: not a mapping of settings")
    inherit = _get(root, "INHERIT")
    if inherit is None:
        return root
    _set(root, "INHERIT", None)
    if not isinstance(inherit, ScalarNode):
        raise PublishError(f"{path}: INHERIT is not the path of a file")
    parent = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), inherit.value))
    if not os.path.isfile(parent):
        raise PublishError(f"{path}: the inherited configuration '{inherit.value}' is not found (looked for {parent})")
    return _merged(_composed(parent, (*seen, real)), root)


def _merged(parent: MappingNode, child: MappingNode) -> MappingNode:
    """`child`'s settings over `parent`'s, in `parent`: mappings merged, the rest replaced."""
    for key, value in child.value:
        name = _key(key)
        old = _get(parent, name) if name is not None else None
        if isinstance(old, MappingNode) and isinstance(value, MappingNode) and old.tag == value.tag == _MAP:
            _merged(old, value)
        elif old is not None:
            parent.value = [(k, value if _key(k) == name else v) for k, v in parent.value]
        else:
            parent.value.append((key, value))
    return parent


def _as_list(extensions: MappingNode) -> SequenceNode:
    """Markdown extensions written as a mapping, in the list form: `- name` for one without
    options, `- name: {options}` for one with (MkDocs' `MarkdownExtensions` reads both)."""
    items: list[Node] = []
    for name, options in extensions.value:
        bare = (isinstance(options, ScalarNode) and options.tag == _NULL) or (
            isinstance(options, MappingNode) and not options.value
        )
        items.append(name if bare else MappingNode(_MAP, [(name, options)]))
    return SequenceNode(_SEQ, items)


def stage_config(config_file: str, settings: Settings, layout: Layout, nonce: str) -> str:
    """mkdocs.yml as Zensical is to read it for the staged docs: every setting kept as written
    (`!ENV` and `!!python/name:` tags included), except the fmkb plugin, MkDocs hooks and file
    patterns (the stage holds exactly what is published); the staged docs and Zensical's
    output folder; the navigation in the plugin's order; fmkb's assets; every Markdown
    extension fmkb renders with, plus `fmkb.stage`; and Material's classic look."""
    root = _composed(config_file)
    plugins = _get(root, "plugins")
    if isinstance(plugins, SequenceNode):
        plugins.value = [p for p, name in zip(plugins.value, _names(plugins), strict=True) if name != "fmkb"]
    elif isinstance(plugins, MappingNode):
        _set(plugins, "fmkb", None)
    for dropped in ("hooks", "watch", "exclude_docs", "draft_docs", "not_in_nav"):
        _set(root, dropped, None)
    _set(root, "docs_dir", _node("docs"))
    _set(root, "site_dir", _node("site"))
    _set(root, "use_directory_urls", _node(True))
    # fmkb has checked every link and anchor in the notes; Zensical would check the staged
    # copies again, naming files and lines the author never wrote
    _set(root, "validation", _node({"links": {"not_found": "ignore", "anchors": "ignore"}}))
    _set(root, "nav", _node(layout.nav))
    for name, asset in (("extra_css", ASSETS[0]), ("extra_javascript", ASSETS[1])):
        listed = _get(root, name)
        if not isinstance(listed, SequenceNode):
            listed = _node([])
            _set(root, name, listed)
        assert isinstance(listed, SequenceNode)
        if asset not in _names(listed):
            listed.value.append(_node(asset))
    extensions = _get(root, "markdown_extensions")
    if isinstance(extensions, MappingNode):  # `toc: {permalink: true}`: MkDocs takes it, Zensical reads lists
        extensions = _as_list(extensions)
        _set(root, "markdown_extensions", extensions)
    if not isinstance(extensions, SequenceNode):
        extensions = _node([])
        _set(root, "markdown_extensions", extensions)
    assert isinstance(extensions, SequenceNode)
    have = set(_names(extensions))
    extensions.value += [_node(name) for name in settings.markdown.names if name not in have]
    extensions.value.append(_node({"fmkb.stage": {"nonce": nonce}}))
    theme = _get(root, "theme")
    if isinstance(theme, ScalarNode):
        _set(root, "theme", _node({"name": theme.value, "variant": "classic"}))
    elif isinstance(theme, MappingNode) and _get(theme, "variant") is None:
        _set(theme, "variant", _node("classic"))
    return yaml.serialize(root, Dumper=yaml.SafeDumper, allow_unicode=True)


# --- building ----------------------------------------------------------------------------


def run_zensical(places: Places) -> tuple[int, list[str]]:
    """`zensical build --clean` on the staged configuration, in its own process (Zensical
    keeps global state, and its memory is then counted apart). Returns (status, what it
    said, banner lines left out)."""
    done = subprocess.run(
        [sys.executable, "-m", "zensical", "build", "--clean", "-f", places.config],
        cwd=places.stage,
        capture_output=True,
        text=True,
        errors="replace",
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"},
    )
    said = [printable(line) for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    # a Python traceback is Zensical's, not the reader's: its last line says what went wrong
    frames = [i for i, line in enumerate(said) if line.startswith("Traceback (most recent call last)")]
    if frames:
        said = said[: frames[0]] + [line for line in said[frames[0] :] if not line.startswith((" ", "Traceback"))]
    return done.returncode, [line for line in said if not line.startswith(_BANNER)]


def _failure(status: int, said: list[str]) -> str:
    """Why Zensical failed, in one sentence: a setting it cannot take is named."""
    for line in said:
        found = _UNTAKEN_SETTING.search(line)
        if found:
            return (
                f"Zensical cannot take the setting '{found.group(1)}' of the configuration: it holds a value other "
                "than text, a number, a boolean, a list or a mapping (a Python tag such as !!python/name:, a date, "
                "a set), which `mkdocs build` takes; nothing published (hint: this is a limit of Zensical, which "
                "takes such values only in the options of markdown_extensions: quote the value or remove it)"
            )
    return f"zensical build failed (exit status {status}); nothing published"


def finish_site(places: Places, layout: Layout, build: Build, policy: Policy, squeezed: bool, cfg: Any = None) -> None:
    """The built site as published: the search index first (it reads the pages' stashes,
    which finishing a page empties), then every staged page."""
    search = os.path.join(places.built, SEARCH_FILE)
    if os.path.isfile(search):
        with open(search, encoding="utf-8") as fh:
            data = json.load(fh)
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data["items"] = finish_search_items(layout, build, data["items"], policy, SEARCH_INHERITED)
            with open(search, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
    for src, path in each_page(layout, places.built):

        def finish(output: str, src: str = src) -> str:
            if cfg is not None:
                output = fix_edit_link(output, mkdocs_edit_url(cfg, src if src in build.notes else None))
            output = link_tags(output, here(layout, src).relative(TAGS_PAGE) if TAGS_PAGE in layout.generated else None)
            return finish_page(layout, build, src, output, policy, squeezed)

        rewrite(path, finish)


def mkdocs_edit_url(cfg: Any, src: str | None) -> str | None:
    """The "edit this page" address MkDocs gives a page (None for a generated page, or a site
    without `edit_uri`), by MkDocs' own rule."""
    from types import SimpleNamespace

    from mkdocs.structure.pages import Page

    holder = SimpleNamespace(file=SimpleNamespace(edit_uri=src), edit_url=None)
    Page._set_edit_url(holder, cfg["repo_url"], cfg["edit_uri"], cfg["edit_uri_template"])  # type: ignore[arg-type]
    return holder.edit_url


# the theme's "edit this page" link (`partials/actions.html`); the "view source" link beside it
# has the same address with /raw/ in it
_EDIT_LINK = re.compile(r'<a href="([^"]*)"[^>]*\brel="edit"[^>]*>.*?</a>', re.DOTALL)


def fix_edit_link(output: str, url: str | None) -> str:
    """Zensical names the staged file in a page's edit and view links: they get the note's own
    address (MkDocs'), or go where MkDocs has none."""
    found = _EDIT_LINK.search(output)
    if found is None:
        return output
    written = found.group(1)
    part = "/blob/" if "/blob/" in written else "/edit/"
    view = written.replace(part, "/raw/")
    if url is None:
        output = output.replace(found.group(), "", 1)
        return re.sub(rf'<a href="{re.escape(view)}"[^>]*>.*?</a>', "", output, count=1, flags=re.DOTALL)
    new = html.escape(url)
    own = "/blob/" if "/blob/" in url else "/edit/"
    output = output.replace(f'href="{written}"', f'href="{new}"', 1)
    return output.replace(f'href="{view}"', f'href="{html.escape(url.replace(own, "/raw/"))}"', 1)


_TAG_BAR = re.compile(r'<nav class="md-tags"[^>]*>.*?</nav>', re.DOTALL)
_TAG = re.compile(r'<span class="(md-tag[^"]*)">([^<]*)</span>')


def link_tags(output: str, tags_url: str | None) -> str:
    """A page's tags link to their section of the Tags page, as Material's do (Zensical links
    them only to a listing of its own making, which fmkb's replaces)."""
    if tags_url is None or 'class="md-tags"' not in output:
        return output

    def one(m: re.Match) -> str:
        name = m.group(2).strip()
        href = html.escape(f"{tags_url}#tag:{slug_tag(name)}")  # the name as printed: escaped
        return f'<a href="{href}" class="{m.group(1)}">{name}</a>'

    return _TAG_BAR.sub(lambda bar: _TAG.sub(one, bar.group()), output, count=1)


def publish_site(places: Places) -> None:
    """Put the finished site in place of the last one: swapped in one step where the system
    can (a reader of the folder finds the old site or the new one, never half of each, and
    never no folder), else by two renames."""
    with open(os.path.join(places.built, SITE_MARK), "w", encoding="utf-8") as fh:
        fh.write("Written by `fmkb zensical`, which replaces this folder on every build.\n")
    if os.path.exists(places.site) and exchange(places.built, places.site):
        shutil.rmtree(places.built)  # the last site, swapped out in the same step
        return
    old = os.path.join(places.stage, "old-site")  # where the system cannot swap: two renames
    if os.path.exists(places.site):
        os.rename(places.site, old)
    else:
        os.makedirs(os.path.dirname(places.site), exist_ok=True)
    os.rename(places.built, places.site)
    if os.path.exists(old):
        shutil.rmtree(old)


def build_with_zensical(config_file: str, site_dir: str | None, strict: bool, say: Callable[[str], None]) -> int:
    """`fmkb zensical`: check, stage, build, finish, publish. Returns the exit status: 0 built
    (diagnostics and MkDocs' warnings reported as `mkdocs build` reports them), 1 when strict
    (`strict`, or `strict: true` in mkdocs.yml) and anything `mkdocs build --strict` fails on
    was found (nothing is built) or Zensical failed, 2 when Zensical is missing, another
    `fmkb zensical` is building the project, or a folder is in the way."""
    started = time.perf_counter()
    if not zensical_installed():
        say(f"fmkb: error: Zensical is not installed (hint: {INSTALL_HINT})")
        return 2
    try:
        with project_lock(os.path.dirname(os.path.abspath(config_file))):
            return _build(config_file, site_dir, strict, say, started)
    except PublishError as e:
        say(f"fmkb: error: {e}")
        return e.code


def _build(config_file: str, site_dir: str | None, strict: bool, say: Callable[[str], None], started: float) -> int:
    """The build, once this run holds the project's lock."""
    from .dates import last_updated
    from .engine import analyze

    errors = 0
    with MkdocsLog(say) as mkdocs_log:
        settings, cfg = load_project(config_file, quiet=False)
        options = cfg.plugins["fmkb"].config
        places = Places.of(settings, site_dir)
        check_places(places, settings)
        analysis = analyze(settings)
        for d in analysis.report.diagnostics:
            errors += d.severity is Severity.ERROR
            say(("WARNING -  " if d.severity is Severity.ERROR else "INFO    -  ") + one_line(d))
        build = Build.of(analysis)
        # a note the check's renderer failed on is published as the plugin publishes it: a notice
        # (Zensical would stop the whole build on it)
        prefix = analysis.vault.prefix
        failed = {d.path[len(prefix) :] for d in analysis.report.diagnostics if d.rule == "note-too-complex"}
        if options.last_updated:
            build.updated = last_updated(settings.docs_dir, build.notes)
        tags = any(name.split("/")[-1] == "tags" for name in cfg.plugins)
        layout = plan(
            build,
            settings,
            clean_urls=options.clean_urls,
            generate=options.generate_pages,
            tags=tags,
            nav_config=cfg["nav"],
            nav_limit=options.nav_limit,
            unrenderable=(failed & build.notes.keys()) - build.too_complex,
        )
        for level, message in nav_warnings(cfg, layout):
            mkdocs_log.report(level, message)
    failing = errors + mkdocs_log.count
    if (strict or cfg["strict"]) and failing:
        say(f"fmkb: aborted with {failing} warning{'s' if failing != 1 else ''} in strict mode; nothing built")
        return 1
    try:
        count = _stage_build_publish(places, layout, build, settings, cfg, config_file, say)
    except OSError as e:  # a folder fmkb cannot write, a full disk: said, never a traceback
        where = f"{e.filename}: " if e.filename else ""
        say(f"fmkb: error: {where}{e.strerror or e}; nothing published")
        return 1
    shown = os.path.relpath(places.site, os.getcwd())
    say(f"fmkb: built {count} pages with Zensical into {shown} in {time.perf_counter() - started:.1f} s")
    return 0


def _stage_build_publish(
    places: Places,
    layout: Layout,
    build: Build,
    settings: Settings,
    cfg: Any,
    config_file: str,
    say: Callable[[str], None],
) -> int:
    """Stage, build, finish and publish; returns the page count."""
    options = cfg.plugins["fmkb"].config
    fresh_stage(places)
    site = SiteInfo(cfg["site_name"], cfg["site_url"])
    try:
        count = write_stage(layout, build, settings, places.docs, HeadingIds(settings.markdown), site)
    except StageError as e:
        raise PublishError(str(e)) from None
    config = stage_config(config_file, settings, layout, build.nonce)
    with open(places.config, "w", encoding="utf-8") as fh:
        fh.write(config)
    status, said = run_zensical(places)
    for line in said:
        say(f"zensical: {line}")
    if status != 0:
        raise PublishError(_failure(status, said), 1)
    policy = Policy.allowing(settings.allow_html, tuple(settings.markdown.names))
    try:
        finish_site(places, layout, build, policy, options.squeeze_html, cfg)
    except StageError as e:
        raise PublishError(f"{e}; nothing published", 1) from None
    publish_site(places)
    return count

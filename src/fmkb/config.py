"""Configuration has one home: the `fmkb` plugin's options in mkdocs.yml.

The CLI reads mkdocs.yml through MkDocs' own loader, so it sees exactly what
`mkdocs build` sees (including `!!python/name:` tags that safe_load rejects).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

from .policy import RulePolicy


class ConfigError(Exception):
    """A usage or configuration problem: exit code 2."""


@dataclass(frozen=True, slots=True)
class Network:
    """Where `fmkb new` fetches metadata and how `--external` checks links (plugin options;
    their defaults are `FmkbConfig`'s)."""

    arxiv_api: str
    crossref_api: str
    timeout: float  # seconds, for connecting and for each read
    retries: int  # further attempts after a 429/5xx or a dropped connection
    max_wait: float  # the longest Retry-After fmkb will honour, in seconds
    workers: int  # threads for --external
    per_host: int  # requests in flight to one host at a time
    cache_ttl: float  # hours an --external result is reused


# Raw HTML tags a note may use: formatting only, nothing that runs or fetches.
DEFAULT_ALLOWED_HTML = (
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "wbr",
)


class FmkbConfig(base.Config):
    """The `fmkb` plugin's options in `mkdocs.yml`: the one place their defaults are set.

    The plugin gets them validated by MkDocs; the CLI and the tests through `plugin_options`."""

    bibliography = c.Type(str, default="references.bib")
    cache_dir = c.Optional(c.Type(str))  # default: the user's cache folder; "" turns caching off
    arxiv_api = c.Type(str, default="https://export.arxiv.org/api/query")
    crossref_api = c.Type(str, default="https://api.crossref.org/works")
    timeout = c.Type((int, float), default=20.0)
    retries = c.Type(int, default=3)
    max_wait = c.Type((int, float), default=60.0)
    workers = c.Type(int, default=8)
    per_host = c.Type(int, default=2)
    cache_ttl = c.Type((int, float), default=24.0)
    allow_html = c.ListOfItems(c.Type(str), default=list(DEFAULT_ALLOWED_HTML))
    allow_files = c.ListOfItems(c.Type(str), default=[])  # glob patterns of HTML/SVG/... files to publish
    search_index = c.Choice(("auto", "full", "sharded"), default="auto")
    sharded_search_above = c.Type(int, default=2000)  # pages; "auto" shards the search index above this
    clean_urls = c.Type(bool, default=True)
    generate_pages = c.Type(bool, default=True)
    last_updated = c.Type(bool, default=True)  # each note's last change (from git, else the file's time)
    nav_limit = c.Type(int, default=500)  # above this many pages each page shows a window of the navigation (0: never)
    nav_radius = c.Type(int, default=10)  # the pages shown either side of the current one in that window
    squeeze_html = c.Type(bool, default=True)  # drop the templates' indentation from each page (htmlspace.py)
    rules = c.Type(dict, default={})  # rule -> off | warning | error, or {severity: ..., parameters}: see policy.py


def plugin_options(options: Mapping[str, Any] | None = None) -> FmkbConfig:
    """`options` validated and completed with the defaults, as MkDocs does for the plugin."""
    cfg = FmkbConfig()
    cfg.load_dict(dict(options or {}))
    errors, _warnings = cfg.validate()
    if errors:
        raise ConfigError("; ".join(f"fmkb option '{name}': {error}" for name, error in errors))
    return cfg


# Extensions whose HTML can carry a note's raw HTML, URLs or attributes only through
# '<', '{', '](' or a reference definition ']:': a note without those renders to
# nothing the sanitizer would remove. With any other extension every note is rendered.
_KNOWN = frozenset(
    {
        "toc",
        "tables",
        "fenced_code",
        "codehilite",
        "nl2br",
        "wikilinks",
        "meta",
        "admonition",
        "attr_list",
        "footnotes",
        "def_list",
        "abbr",
        "md_in_html",
        "sane_lists",
        "smarty",
        "pymdownx.superfences",
        "pymdownx.emoji",
        "pymdownx.arithmatex",
        "pymdownx.highlight",
        "pymdownx.inlinehilite",
        "pymdownx.tasklist",
        "pymdownx.mark",
        "pymdownx.details",
        "pymdownx.caret",
        "pymdownx.tilde",
        "pymdownx.betterem",
        "pymdownx.keys",
        "pymdownx.smartsymbols",
        "fmkb.callouts",
        "fmkb.mathml",
    }
)
_TAG = re.compile(r"<[A-Za-z!/?]")  # raw HTML, comments
# attr_list: a brace group with a value or an on* name, one right after an inline element,
# or one that ends a line (where a block's or heading's list stands)
_ATTRS = re.compile(r"\{[^{}\n]*(?:=|\b[oO][nN][A-Za-z])|[)\]`*_]\{|\{[^{}\n]*\}[ \t]*$", re.M)
_DESTINATION = re.compile(r"\][(:]")  # an inline link's destination, or (not after ']') a reference definition's
_PLAIN_WEB_URL = re.compile(r"[ \t]*\n?[ \t>]*<?(?:https?://|mailto:)[^\s<>()&\\\"']*(?=[\s)>]|$)")
_SCHEME_HINT = re.compile(r"[:&\\]")  # a scheme, or an entity or escape that could spell one
REQUIRED_EXTENSIONS = ("toc", "attr_list", "tables")  # fmkb's own output relies on them
MKDOCS_BUILTINS = ("toc", "tables", "fenced_code")  # MkDocs renders every site with these


def _name(ext: Any) -> str:
    if isinstance(ext, str):
        return ext.removeprefix("markdown.extensions.")
    return type(ext).__module__.removeprefix("markdown.extensions.")


@dataclass(frozen=True, slots=True)
class MarkdownSetup:
    """The Markdown extensions (and their options) the site renders notes with."""

    extensions: tuple[Any, ...] = (*MKDOCS_BUILTINS, "attr_list")
    configs: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def of(extensions: list[Any], configs: Mapping[str, Any]) -> MarkdownSetup:
        """The setup MkDocs builds with, plus the extensions fmkb's output needs (added to
        `extensions` in place, as the plugin does to MkDocs' configuration)."""
        for name in REQUIRED_EXTENSIONS:
            if name not in [_name(e) for e in extensions]:
                extensions.append(name)
        return MarkdownSetup(tuple(extensions), dict(configs))

    @property
    def names(self) -> list[str]:
        return [_name(e) for e in self.extensions]

    @property
    def math(self) -> bool:
        """Whether `$...$` is rendered as math (then it holds no links or citations)."""
        return "pymdownx.arithmatex" in self.names

    def fingerprint(self) -> list:
        """What a cached check result depends on (options by repr: they may hold functions)."""
        return [self.names, sorted((k, repr(v)) for k, v in self.configs.items())]

    def may_publish_markup(self, body: str) -> bool:
        """False only when rendering `body` cannot produce anything the sanitizer removes.

        With the known extensions, markup reaches the HTML only as raw HTML ('<' and a
        letter, '!', '/' or '?'), as attr_list attributes (`{... = ...}`), or as a URL
        in a link or reference definition; a URL can run script only with a scheme,
        whose ':' (or an entity or escape that spells one) comes before any ')' of an
        inline link, or within two lines of a definition. Plain http(s) and mailto URLs
        are skipped. Linear: each search resumes where the last one stopped.
        """
        if not set(self.names) <= _KNOWN:
            return True
        if "pymdownx.arithmatex" in self.names and not (self.configs.get("pymdownx.arithmatex") or {}).get("generic"):
            return True  # without `generic: true` arithmatex writes <script type="math/tex">
        if ("<" in body and _TAG.search(body)) or ("{" in body and _ATTRS.search(body)):
            return True
        if "](" not in body and "]:" not in body:
            return False
        paren = hint = newline = second = -1  # the next ')', scheme hint and line ends at or after
        size = len(body)  # the last start; each is searched again only once passed
        for m in _DESTINATION.finditer(body):
            if m.group() == "]:" and m.start() and body[m.start() - 1] == "]":
                continue  # `[[Note]]:` is a wiki-link and a colon, not a definition
            start = m.end()
            plain = _PLAIN_WEB_URL.match(body, start)
            if plain:
                start = plain.end()
            if m.group() == "](":
                if paren < start:
                    paren = body.find(")", start)
                    paren = size if paren == -1 else paren
                end = paren
            else:
                if newline < start:
                    newline = body.find("\n", start)
                    newline = size if newline == -1 else newline
                if second <= newline:
                    second = body.find("\n", newline + 1) if newline < size else -1
                    second = size if second == -1 else second
                end = second
            if hint < start:
                found = _SCHEME_HINT.search(body, start)
                hint = size if found is None else found.start()
            if hint < end:
                return True
        return False

    def slugify(self) -> tuple[Any, str]:
        """The toc extension's slug function and separator, as configured."""
        from markdown.extensions.toc import slugify

        toc = self.configs.get("toc") or {}
        return toc.get("slugify", slugify), toc.get("separator", "-")

    def renderer(self) -> Any:
        """A Python-Markdown instance set up as the site's (build one per process and reuse it)."""
        import markdown

        md = markdown.Markdown(extensions=list(self.extensions), extension_configs=dict(self.configs))
        try:  # what MkDocs adds to every page's renderer: its raw-HTML pass runs html.parser over the text
            from mkdocs.structure.pages import _RawHTMLPreprocessor

            _RawHTMLPreprocessor()._register(md)
        except (ImportError, AttributeError):
            pass
        return md


@dataclass(frozen=True, slots=True)
class Settings:
    root: str  # the folder holding mkdocs.yml: paths in diagnostics are relative to it
    docs_dir: str  # absolute
    bibliography: str  # absolute; "" for a bare vault without one (citations are then not checked)
    cache_dir: str  # absolute; "" when caching is off
    network: Network
    allow_html: frozenset[str]
    markdown: MarkdownSetup
    exclude_docs: Any  # MkDocs' exclude_docs patterns (a pathspec), applied with its own defaults
    allow_files: tuple[str, ...]  # glob patterns of HTML/SVG/... files the site publishes anyway
    rules: RulePolicy

    def shown(self, path: str) -> str:
        """`path` as diagnostics show it: relative to the project."""
        return os.path.relpath(path, self.root).replace(os.sep, "/") if path else ""


def _inside(root: str, path: str) -> bool:
    real_root, real = os.path.realpath(root), os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


def settings_from(
    config_file: str,
    docs_dir: str,
    options: FmkbConfig | Mapping[str, Any] | None = None,
    markdown: MarkdownSetup | None = None,
    exclude_docs: Any = None,
) -> Settings:
    """Resolve the plugin's options relative to the folder of mkdocs.yml, and check them.

    No option may point outside the repository (the folder of mkdocs.yml): fmkb
    reads and writes only inside it.
    """
    if not isinstance(options, FmkbConfig):
        options = plugin_options(options)
    bibliography = options.bibliography
    root = os.path.dirname(os.path.abspath(config_file))
    bib = os.path.normpath(os.path.join(root, bibliography))
    docs = os.path.normpath(os.path.join(root, docs_dir))
    for name, path in (("docs_dir", docs), ("bibliography", bib)):
        if not _inside(root, path):
            raise ConfigError(f"{config_file}: {name} '{path}' is outside the repository; fmkb will not read it")
    if not os.path.isdir(docs):
        raise ConfigError(f"{config_file}: docs_dir '{docs_dir}' is not a folder")
    if not os.path.isfile(bib):
        raise ConfigError(f"{config_file}: bibliography '{bibliography}' not found (looked for {bib})")
    cache = options.cache_dir
    if cache is None:  # outside the work tree, so nothing committed can stand in for a cache
        from .cachefile import default_dir

        cache_dir = default_dir(root)
    else:
        cache_dir = os.path.normpath(os.path.join(root, cache)) if cache else ""
        if cache_dir and not _inside(root, cache_dir):
            raise ConfigError(
                f"{config_file}: cache_dir '{cache}' is outside the repository; fmkb will not write there"
            )
    network = Network(**{f: options[f] for f in Network.__dataclass_fields__})
    try:
        rules = RulePolicy.parse(options.rules)
    except ValueError as e:
        raise ConfigError(f"{config_file}: fmkb option 'rules': {e}") from None
    allow = frozenset(t.lower() for t in options.allow_html)
    setup = markdown or MarkdownSetup()
    allow_files = tuple(options.allow_files)
    return Settings(root, docs, bib, cache_dir, network, allow, setup, exclude_docs, allow_files, rules)


def load_settings(config_file: str = "mkdocs.yml") -> Settings:
    return load_project(config_file)[0]


def load_project(config_file: str = "mkdocs.yml", quiet: bool = True) -> tuple[Settings, Any]:
    """The settings, and MkDocs' own validated configuration (for a command that publishes the
    site another way: its name, address, plugins and the fmkb plugin's options). `quiet`: MkDocs'
    own warnings about the configuration are not said (a command that publishes, and so fails
    where `mkdocs build --strict` fails, passes False and hears them through the `mkdocs` log)."""
    if not os.path.isfile(config_file):
        raise ConfigError(f"{config_file} not found: run fmkb in the folder that holds mkdocs.yml, or pass -f")
    from mkdocs import exceptions
    from mkdocs.config import load_config

    mkdocs_log = logging.getLogger("mkdocs")
    level = mkdocs_log.level
    if quiet:
        mkdocs_log.setLevel(logging.ERROR)  # MkDocs' own chatter is not fmkb's output
    try:
        cfg = load_config(config_file=config_file)
    except exceptions.ConfigurationError as e:
        raise ConfigError(f"{config_file}: {e}") from None
    except Exception as e:  # YAML errors and the like: still a configuration problem
        raise ConfigError(f"{config_file}: {e}") from None
    finally:
        mkdocs_log.setLevel(level)
    plugin = cfg.plugins.get("fmkb")
    if plugin is None:
        raise ConfigError(f"{config_file}: the fmkb plugin is not enabled (add '- fmkb' under plugins:)")
    setup = MarkdownSetup.of(cfg["markdown_extensions"], cfg["mdx_configs"])
    return settings_from(config_file, cfg["docs_dir"], plugin.config, setup, cfg["exclude_docs"]), cfg


def find_project(path: str = ".") -> str | None:
    """The mkdocs.yml of the project holding `path`: in `path` or its nearest parent folder."""
    here = os.path.abspath(path)
    while True:
        candidate = os.path.join(here, "mkdocs.yml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


# A bare vault is checked, not published: every file is an attachment a link may name, and
# citation checks need a bibliography.
BARE_VAULT_RULES = {"file-unpublishable": "off"}
NO_BIBLIOGRAPHY_RULES = {"cite-unknown": "off", "paper-cite": "off"}


def bare_vault_settings(path: str) -> Settings:
    """Settings for a folder of notes without mkdocs.yml (an Obsidian vault, say): the folder is
    both the project and the notes; the bibliography is `references.bib`, or the one `*.bib` at
    its root, or none (then citations are not checked)."""
    root = os.path.abspath(path)
    if not os.path.isdir(root):
        raise ConfigError(f"{path} is not a folder")
    bibs = sorted(
        name for name in os.listdir(root) if name.endswith(".bib") and os.path.isfile(os.path.join(root, name))
    )
    chosen = "references.bib" if "references.bib" in bibs else (bibs[0] if len(bibs) == 1 else "")
    rules = dict(BARE_VAULT_RULES) if chosen else {**BARE_VAULT_RULES, **NO_BIBLIOGRAPHY_RULES}
    from .cachefile import default_dir

    options = plugin_options({"rules": rules, "allow_files": ["*"]})
    return Settings(
        root,
        root,
        os.path.join(root, chosen) if chosen else "",
        default_dir(root),
        Network(**{f: options[f] for f in Network.__dataclass_fields__}),
        frozenset(t.lower() for t in options.allow_html),
        MarkdownSetup(),
        None,
        ("*",),
        RulePolicy.parse(rules),
    )

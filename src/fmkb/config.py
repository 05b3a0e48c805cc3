"""Configuration has one home: the `fmkb` plugin's options in mkdocs.yml.

The CLI reads mkdocs.yml through MkDocs' own loader, so it sees exactly what
`mkdocs build` sees (including `!!python/name:` tags that safe_load rejects).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(Exception):
    """A usage or configuration problem: exit code 2."""


@dataclass(frozen=True, slots=True)
class Network:
    """Where `fmkb new` fetches metadata and how `--external` checks links (plugin options)."""

    arxiv_api: str = "https://export.arxiv.org/api/query"
    crossref_api: str = "https://api.crossref.org/works"
    timeout: float = 20.0  # seconds, for connecting and for each read
    retries: int = 3  # further attempts after a 429/5xx or a dropped connection
    max_wait: float = 60.0  # the longest Retry-After fmkb will honour, in seconds
    workers: int = 8  # threads for --external
    per_host: int = 2  # requests in flight to one host at a time
    cache_ttl: float = 24.0  # hours an --external result is reused


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


@dataclass(frozen=True, slots=True)
class Settings:
    root: str  # the folder holding mkdocs.yml: paths in diagnostics are relative to it
    docs_dir: str  # absolute
    bibliography: str  # absolute
    cache_dir: str = ""  # absolute; "" when caching is off
    network: Network = Network()
    allow_html: frozenset[str] = frozenset(DEFAULT_ALLOWED_HTML)

    def shown(self, path: str) -> str:
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        return rel


def _inside(root: str, path: str) -> bool:
    real_root, real = os.path.realpath(root), os.path.realpath(path)
    return real == real_root or real.startswith(real_root + os.sep)


def settings_from(
    config_file: str, docs_dir: str, bibliography: str, options: Mapping[str, Any] | None = None
) -> Settings:
    """Resolve the plugin's options relative to the folder of mkdocs.yml, and check them.

    No option may point outside the repository (the folder of mkdocs.yml): fmkb
    reads and writes only inside it.
    """
    options = options or {}
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
    cache = options.get("cache_dir", ".fmkb-cache") or ""
    cache_dir = os.path.normpath(os.path.join(root, cache)) if cache else ""
    if cache_dir and not _inside(root, cache_dir):
        raise ConfigError(f"{config_file}: cache_dir '{cache}' is outside the repository; fmkb will not write there")
    net = {f: options[f] for f in Network.__dataclass_fields__ if options.get(f) is not None}
    allowed = options.get("allow_html")
    allow = frozenset(t.lower() for t in allowed) if allowed is not None else frozenset(DEFAULT_ALLOWED_HTML)
    return Settings(root, docs, bib, cache_dir, Network(**net), allow)


def load_settings(config_file: str = "mkdocs.yml") -> Settings:
    if not os.path.isfile(config_file):
        raise ConfigError(f"{config_file} not found: run fmkb in the folder that holds mkdocs.yml, or pass -f")
    from mkdocs import exceptions
    from mkdocs.config import load_config

    mkdocs_log = logging.getLogger("mkdocs")
    level = mkdocs_log.level
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
    return settings_from(config_file, cfg["docs_dir"], plugin.config.bibliography, dict(plugin.config))

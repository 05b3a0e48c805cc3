"""Configuration has one home: the `fmkb` plugin's options in mkdocs.yml.

The CLI reads mkdocs.yml through MkDocs' own loader, so it sees exactly what
`mkdocs build` sees (including `!!python/name:` tags that safe_load rejects).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass


class ConfigError(Exception):
    """A usage or configuration problem: exit code 2."""


@dataclass(frozen=True, slots=True)
class Settings:
    root: str  # the folder holding mkdocs.yml: paths in diagnostics are relative to it
    docs_dir: str  # absolute
    bibliography: str  # absolute

    def shown(self, path: str) -> str:
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        return rel


def settings_from(config_file: str, docs_dir: str, bibliography: str) -> Settings:
    """Resolve the plugin's options relative to the folder of mkdocs.yml, and check they exist."""
    root = os.path.dirname(os.path.abspath(config_file))
    bib = os.path.normpath(os.path.join(root, bibliography))
    if not os.path.isdir(docs_dir):
        raise ConfigError(f"{config_file}: docs_dir '{docs_dir}' is not a folder")
    if not os.path.isfile(bib):
        raise ConfigError(f"{config_file}: bibliography '{bibliography}' not found (looked for {bib})")
    return Settings(root, os.path.abspath(docs_dir), bib)


def load_settings(config_file: str = "mkdocs.yml") -> Settings:
    if not os.path.isfile(config_file):
        raise ConfigError(f"{config_file} not found: run fmkb in the folder that holds mkdocs.yml, or pass -f")
    from mkdocs import exceptions
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    try:
        cfg = load_config(config_file=config_file)
    except exceptions.ConfigurationError as e:
        raise ConfigError(f"{config_file}: {e}") from None
    except Exception as e:  # YAML errors and the like: still a configuration problem
        raise ConfigError(f"{config_file}: {e}") from None
    plugin = cfg.plugins.get("fmkb")
    if plugin is None:
        raise ConfigError(f"{config_file}: the fmkb plugin is not enabled (add '- fmkb' under plugins:)")
    return settings_from(config_file, cfg["docs_dir"], plugin.config.bibliography)

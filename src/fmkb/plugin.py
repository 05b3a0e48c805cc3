"""The `fmkb` MkDocs plugin: its options are fmkb's only configuration."""

from __future__ import annotations

import logging

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.plugins import BasePlugin

log = logging.getLogger("mkdocs.plugins.fmkb")


class FmkbConfig(base.Config):
    bibliography = c.Type(str, default="references.bib")


class FmkbPlugin(BasePlugin[FmkbConfig]):
    """Runs the engine once per build and reports its diagnostics through MkDocs' logger."""

    def on_pre_build(self, *, config) -> None:
        from .config import ConfigError, settings_from
        from .engine import analyze

        try:
            settings = settings_from(config.config_file_path, config["docs_dir"], self.config.bibliography)
        except ConfigError as e:
            from mkdocs.exceptions import PluginError

            raise PluginError(str(e)) from None
        self.analysis = analyze(settings)
        for d in self.analysis.report.diagnostics:
            text = f"{d.path}:{d.line}:{d.column}: {d.message} [{d.rule}]"
            (log.warning if d.severity.value == "error" else log.info)(text)

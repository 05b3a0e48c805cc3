"""One engine pass: load the vault and the bibliography, then check them.

The CLI and the MkDocs plugin both call `analyze`; neither parses anything itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .bibliography import Bibliography, load_bibliography
from .check import Report, check
from .config import Settings
from .load import Vault, load_vault


@dataclass(slots=True)
class Analysis:
    settings: Settings
    vault: Vault
    bib: Bibliography
    report: Report


def analyze(settings: Settings, bib: Bibliography | None = None) -> Analysis:
    """Load and check everything. Pass `bib` to reuse an already parsed bibliography."""
    prefix = settings.shown(settings.docs_dir).rstrip("/") + "/"
    if prefix == "./":
        prefix = ""
    vault = load_vault(settings.docs_dir, prefix)
    if bib is None:
        bib = load_bibliography(settings.bibliography, settings.shown(settings.bibliography))
    return Analysis(settings, vault, bib, check(vault, bib))


def bibliography_stamp(settings: Settings) -> tuple[int, int]:
    """(mtime_ns, size) of the bibliography: cheap change detection for `mkdocs serve`."""
    st = os.stat(settings.bibliography)
    return st.st_mtime_ns, st.st_size

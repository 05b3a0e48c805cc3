"""Tiny vaults in tmp_path, and helpers to check them the way CI does."""

from __future__ import annotations

import gc
import textwrap
from pathlib import Path

import pytest

from fmkb.config import settings_from
from fmkb.engine import analyze

# The tests build many short-lived vaults and sites: the cyclic collector, at its default
# thresholds, rescans their objects over and over (as `fmkb check` avoids by pausing it).
gc.set_threshold(100_000, 50, 100)

BIB = """\
@misc{kaplan2020scaling,
  title  = {Scaling Laws for Neural Language Models},
  author = {Kaplan, Jared and McCandlish, Sam},
  year   = {2020},
  eprint = {2001.08361},
  archivePrefix = {arXiv}
}

@inproceedings{hoffmann2022training,
  title     = {Training Compute-Optimal Large Language Models},
  author    = {Hoffmann, Jordan and Borgeaud, Sebastian},
  booktitle = {Advances in Neural Information Processing Systems},
  year      = {2022}
}
"""

MKDOCS = """\
site_name: test
docs_dir: notes
theme:
  name: material
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
plugins:
  - fmkb:
      bibliography: references.bib
"""


def api_yml(server, retries: int = 2, max_wait: int = 2) -> str:
    """mkdocs.yml of a vault whose arXiv and Crossref APIs are the local test `server`."""
    return f"""\
site_name: test
docs_dir: notes
theme:
  name: material
plugins:
  - fmkb:
      bibliography: references.bib
      arxiv_api: {server.url_for("/api/query")}
      crossref_api: {server.url_for("/works")}
      timeout: 0.5
      retries: {retries}
      max_wait: {max_wait}
"""


@pytest.fixture(autouse=True)
def _private_cache_folder(tmp_path_factory, monkeypatch):
    """Caches go to the user's cache folder by default: give every test its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))


def make_vault(root: Path, notes: dict[str, str], bib: str = BIB, mkdocs: str = MKDOCS) -> Path:
    """Write mkdocs.yml, references.bib and notes/<path> (text is dedented)."""
    (root / "notes").mkdir(parents=True, exist_ok=True)
    if mkdocs is not None:
        (root / "mkdocs.yml").write_text(mkdocs, encoding="utf-8")
    if bib is not None:
        (root / "references.bib").write_text(bib, encoding="utf-8")
    for rel, text in notes.items():
        path = root / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def check_vault(root: Path):
    """Run the engine on a vault built by make_vault (no mkdocs config loading)."""
    settings = settings_from(str(root / "mkdocs.yml"), str(root / "notes"))
    return analyze(settings)


def diags(root: Path, rule: str | None = None, include_unused: bool = False):
    """(path, line, column, rule) of each diagnostic; bib-unused left out unless asked."""
    out = []
    for d in check_vault(root).report.diagnostics:
        if d.rule == "bib-unused" and not include_unused and rule != "bib-unused":
            continue
        if rule is None or d.rule == rule:
            out.append(d)
    return out


def places(ds):
    return [(d.path, d.line, d.column, d.rule) for d in ds]


@pytest.fixture
def vault(tmp_path):
    def build(notes: dict[str, str], **kw) -> Path:
        return make_vault(tmp_path, notes, **kw)

    return build


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run `fmkb ARGS` in a folder as CI would; no output may ever hold a traceback."""
    from fmkb.cli import main

    def _run(root, *args):
        monkeypatch.chdir(root)
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return _run


# --- a real browser ---------------------------------------------------------------
# Debian's chromium here and in CI (installed by .ci/run); elsewhere a Chromium that
# Playwright installed; with neither, browser tests are skipped with the reason.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def chromium_path() -> str | None:
    import os
    import shutil

    for candidate in (os.environ.get("FMKB_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[test]')")
    path = chromium_path()
    with sync_playwright() as p:
        if path is None:
            import os

            if not os.path.exists(p.chromium.executable_path):
                pytest.skip("no Chromium: install Debian's chromium (README, set-up command 2) or set FMKB_CHROMIUM")
            path = p.chromium.executable_path
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def local_only(context) -> None:
    """Abort every request that is not for the local test server (the theme's web fonts would
    otherwise wait on a network this machine does not have)."""
    import re

    context.route(re.compile(r"^(?!http://127\.0\.0\.1)"), lambda route: route.abort())


@pytest.fixture
def page(browser):
    context = browser.new_context()
    local_only(context)
    pg = context.new_page()
    yield pg
    context.close()


def serve(directory) -> tuple[str, object]:
    """Serve a built site on 127.0.0.1; returns (base URL, server) — call server.shutdown()."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def build_site(root: Path, notes: dict[str, str], bib: str, mkdocs: str) -> Path:
    """A tiny vault written with make_vault and built with MkDocs (not strict: a test may
    build broken notes on purpose); returns the site folder."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    make_vault(root, notes, bib=bib, mkdocs=mkdocs)
    build(load_config(str(root / "mkdocs.yml")))
    return root / "site"


# The authors of the DPO paper (arXiv 2305.18290) in the source's order: the metadata tests'
# recorded arXiv answer and the drift comparison both use it.
DPO_AUTHORS = [
    "Rafailov, Rafael",
    "Sharma, Archit",
    "Mitchell, Eric",
    "Ermon, Stefano",
    "Manning, Christopher D.",
    "Finn, Chelsea",
]

"""`mkdocs serve --dirty`: after an edit only the pages it can change are rendered again,
and those show the change (the Linked-from of a newly linked note, a paper's Cited-in, the
Bibliography). Rebuilt as `mkdocs serve` rebuilds: the configuration loaded again, the
plugin instance kept, `build(dirty=True)`."""

from __future__ import annotations

import logging

import pytest

from conftest import BIB, make_vault

MKDOCS = """\
site_name: serve
docs_dir: notes
site_dir: site
theme:
  name: material
plugins:
  - search
  - tags
  - fmkb:
      bibliography: references.bib
      last_updated: false
"""

NOTES = {
    "index.md": "# Home\n\n[[A]] [[B]] [[X]]\n",
    "concepts/A.md": "---\nkind: concept\n---\n# A\n\nAbout A, see [[B]].\n",
    "concepts/B.md": "---\nkind: concept\n---\n# B\n\nAbout B, see [[A]].\n",
    "concepts/X.md": "---\nkind: concept\n---\n# X\n\nAbout X.\n",
    "papers/Kaplan.md": (
        "---\ntitle: Scaling Laws for Neural Language Models\nkind: paper\ncite: kaplan2020scaling\nyear: 2020\n"
        "---\n# Scaling Laws for Neural Language Models\n\nThe paper [@kaplan2020scaling].\n"
    ),
}


class Server:
    def __init__(self, root):
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        self.root, self._build, self._load = root, build, load_config
        self.config = self._config()
        self._build(self.config)  # the first, full build

    def _config(self):
        config = self._load(str(self.root / "mkdocs.yml"))
        config.plugins.on_startup(command="serve", dirty=True)
        return config

    def pages(self) -> dict[str, int]:
        site = self.root / "site"
        return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("index.html")}

    def edit(self, rel: str, text: str) -> set[str]:
        """Write a note, rebuild, and return the pages written again."""
        before = self.pages()
        (self.root / "notes" / rel).write_text(text, encoding="utf-8")
        self.config = self._config()
        self._build(self.config, dirty=True)
        after = self.pages()
        return {page for page, mtime in after.items() if before.get(page) != mtime}

    def html(self, page: str) -> str:
        return (self.root / "site" / page).read_text(encoding="utf-8")


@pytest.fixture
def server(tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="mkdocs")  # restored after the test
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=MKDOCS)
    return Server(tmp_path)


def test_the_plugin_is_kept_across_rebuilds(server):
    first = server.config.plugins["fmkb"]
    server.edit("concepts/X.md", "---\nkind: concept\n---\n# X\n\nAbout X, edited.\n")
    assert server.config.plugins["fmkb"] is first


def test_a_body_edit_renders_only_its_own_page(server):
    written = server.edit("concepts/X.md", "---\nkind: concept\n---\n# X\n\nAbout X, now longer.\n")
    assert written == {"concepts/x/index.html"}
    assert "now longer" in server.html("concepts/x/index.html")


def test_a_new_link_renders_the_linked_note_with_its_new_backlink(server):
    written = server.edit("concepts/X.md", "---\nkind: concept\n---\n# X\n\nAbout X; compare [[A]].\n")
    assert {"concepts/x/index.html", "concepts/a/index.html"} <= written
    assert "concepts/b/index.html" not in written
    a = server.html("concepts/a/index.html")
    assert 'id="fmkb-backlinks"' in a and "compare" in a.split('id="fmkb-backlinks"')[1]


def test_a_new_citation_renders_the_papers_note_and_the_bibliography(server):
    written = server.edit("concepts/X.md", "---\nkind: concept\n---\n# X\n\nAbout X [@kaplan2020scaling].\n")
    assert {"papers/kaplan/index.html", "bibliography/index.html"} <= written
    assert "concepts/b/index.html" not in written
    entry = server.html("bibliography/index.html").split('id="ref-kaplan2020scaling"')[1].split("</li>")[0]
    assert "Cited by:" in entry and ">X</a>" in entry


def test_a_new_title_renders_the_notes_that_show_it(server):
    written = server.edit("concepts/B.md", "---\nkind: concept\ntitle: Bee\n---\n# B\n\nAbout B, see [[A]].\n")
    assert "concepts/a/index.html" in written  # its Linked-from names B by title
    assert "Bee" in server.html("concepts/a/index.html")
    assert "concepts/x/index.html" not in written


def test_a_generated_index_is_rendered_again_only_when_what_it_lists_changes(server):
    written = server.edit("concepts/X.md", "---\nkind: concept\n---\n# X\n\nAbout X, again.\n")
    assert "concepts/index.html" not in written
    written = server.edit(
        "concepts/X.md", "---\nkind: concept\ndescription: The letter X.\n---\n# X\n\nAbout X, again.\n"
    )
    assert "concepts/index.html" in written
    assert "The letter X." in server.html("concepts/index.html")

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


def concept(heading: str, body: str, **front: str) -> str:
    """A concept note's text: front matter (kind, and any `front` keys), its heading, its body."""
    keys = "".join(f"{k}: {v}\n" for k, v in front.items())
    return f"---\nkind: concept\n{keys}---\n# {heading}\n\n{body}"


NOTES = {
    "index.md": "# Home\n\n[[A]] [[B]] [[X]]\n",
    "concepts/A.md": concept("A", "About A, see [[B]].\n"),
    "concepts/B.md": concept("B", "About B, see [[A]].\n"),
    "concepts/X.md": concept("X", "About X.\n"),
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

    def article(self, page: str) -> str:
        html = self.html(page)
        return html[html.index("<article") : html.index("</article>")]


@pytest.fixture
def server(tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="mkdocs")  # restored after the test
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=MKDOCS)
    return Server(tmp_path)


def test_the_plugin_is_kept_across_rebuilds(server):
    first = server.config.plugins["fmkb"]
    server.edit("concepts/X.md", concept("X", "About X, edited.\n"))
    assert server.config.plugins["fmkb"] is first


def test_a_body_edit_renders_only_its_own_page(server):
    written = server.edit("concepts/X.md", concept("X", "About X, now longer.\n"))
    assert written == {"concepts/x/index.html"}
    assert "now longer" in server.html("concepts/x/index.html")


def test_a_new_link_renders_the_linked_note_with_its_new_backlink(server):
    written = server.edit("concepts/X.md", concept("X", "About X; compare [[A]].\n"))
    assert {"concepts/x/index.html", "concepts/a/index.html"} <= written
    assert "concepts/b/index.html" not in written
    a = server.html("concepts/a/index.html")
    assert 'id="fmkb-backlinks"' in a and "compare" in a.split('id="fmkb-backlinks"')[1]


def test_a_new_citation_renders_the_papers_note_and_the_bibliography(server):
    written = server.edit("concepts/X.md", concept("X", "About X [@kaplan2020scaling].\n"))
    assert {"papers/kaplan/index.html", "bibliography/index.html"} <= written
    assert "concepts/b/index.html" not in written
    entry = server.html("bibliography/index.html").split('id="ref-kaplan2020scaling"')[1].split("</li>")[0]
    assert "Cited by:" in entry and ">X</a>" in entry


def test_a_new_title_renders_the_notes_that_show_it(server):
    written = server.edit("concepts/B.md", concept("B", "About B, see [[A]].\n", title="Bee"))
    assert "concepts/a/index.html" in written  # its Linked-from names B by title
    assert "Bee" in server.html("concepts/a/index.html")
    assert "concepts/x/index.html" not in written


def test_a_generated_index_is_rendered_again_only_when_what_it_lists_changes(server):
    written = server.edit("concepts/X.md", concept("X", "About X, again.\n"))
    assert "concepts/index.html" not in written
    written = server.edit("concepts/X.md", concept("X", "About X, again.\n", description="The letter X."))
    assert "concepts/index.html" in written
    assert "The letter X." in server.html("concepts/index.html")


def test_a_new_citation_that_makes_two_works_share_a_label_relabels_every_page_citing_them(server):
    bib = server.root / "references.bib"
    bib.write_text(
        bib.read_text() + "\n@misc{kaplan2020other,\n  title = {Another Kaplan Paper},\n"
        "  author = {Kaplan, Jared and McCandlish, Sam},\n  year = {2020}\n}\n"
    )
    server.edit("concepts/A.md", concept("A", "About A, see [[B]].\n"))  # the bib read again
    written = server.edit("concepts/X.md", concept("X", "About X [@kaplan2020other].\n"))
    assert "papers/kaplan/index.html" in written  # cites kaplan2020scaling, now "2020a" or "2020b"
    assert "2020b" in server.html("papers/kaplan/index.html") + server.html("concepts/x/index.html")


def test_a_new_paper_note_links_the_references_of_the_notes_citing_its_work(server):
    server.edit("concepts/X.md", concept("X", "About X [@hoffmann2022training].\n"))
    written = server.edit(
        "papers/Hoffmann.md",
        "---\ntitle: Chinchilla paper\nkind: paper\ncite: hoffmann2022training\nyear: 2022\n---\n"
        "# Chinchilla paper\n\nText.\n",
    )
    assert "concepts/x/index.html" in written
    assert "../../papers/hoffmann/" in server.html("concepts/x/index.html")


def test_an_embedded_notes_new_text_shows_where_it_is_embedded(server):
    server.edit("concepts/X.md", concept("X", "Embedding:\n\n![[B]]\n"))
    written = server.edit("concepts/B.md", concept("B", "About B, rewritten. See [[A]].\n"))
    assert "concepts/x/index.html" in written
    assert "rewritten" in server.html("concepts/x/index.html")


def test_a_link_between_two_neighbours_shows_in_the_local_graph_of_a_note_beside_them(server):
    server.edit("concepts/X.md", concept("X", "About X, see [[A]].\n"))  # A: neighbours B, X
    written = server.edit("concepts/X.md", concept("X", "About X, see [[A]] and [[B]].\n"))
    assert "concepts/a/index.html" in written  # its graph draws X -> B now


def test_a_retitled_note_is_renamed_in_the_cited_in_list_of_the_paper_it_cites(server):
    server.edit("concepts/X.md", concept("X", "About X [@kaplan2020scaling].\n"))
    written = server.edit("concepts/X.md", concept("X", "About X [@kaplan2020scaling].\n", title="Ex"))
    assert "papers/kaplan/index.html" in written
    assert ">Ex</a>" in server.html("papers/kaplan/index.html")


def test_a_note_that_takes_another_notes_url_sends_its_linkers_to_the_moved_page(server):
    server.edit("concepts/Foo Bar.md", concept("Foo Bar", "Text.\n"))
    server.edit("concepts/X.md", concept("X", "See [[Foo Bar]].\n"))
    assert 'href="../foo-bar/"' in server.article("concepts/x/index.html")
    written = server.edit("concepts/FOO_BAR.md", concept("Other", "Text.\n"))  # sorts first
    assert "concepts/x/index.html" in written
    assert 'href="../foo-bar/"' not in server.article("concepts/x/index.html")

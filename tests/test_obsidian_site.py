"""Obsidian's Markdown on the published site, in Chromium: footnotes, highlights, task
lists, folding callouts, mermaid blocks and unreadable TeX, in a tiny vault built with the
shipped `mkdocs.yml`'s Markdown extensions. Also the last-updated date without git history."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("obsidian-site")

ROOT = Path(__file__).resolve().parent.parent
NOTE = """---
title: Features
---

# Features

A claim with a footnote[^why] and a ==highlighted phrase==, then [[Other]].

- [x] read the paper
- [ ] write the note

> [!question]- Why fold?
> Because the answer is long.

```mermaid
graph LR
  A --> B
```

Broken math: $x^$ stays visible.

[^why]: The reason, at the bottom.
"""
STAMP = datetime.datetime(2024, 3, 5, 12, 0, tzinfo=datetime.UTC).timestamp()


def _shipped_markdown() -> str:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    start = text.index("markdown_extensions:")
    return text[start : text.index("\nplugins:", start)] + "\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from conftest import build_site, make_vault, serve

    root = tmp_path_factory.mktemp("obsidian")
    notes = {"index.md": "# Home\n\n[[Features]]\n", "Features.md": NOTE, "Other.md": "# Other\n\n[[Features]]\n"}
    mkdocs = "site_name: t\ndocs_dir: notes\nsite_dir: site\ntheme:\n  name: material\n" + _shipped_markdown()
    mkdocs += "plugins:\n  - search\n  - fmkb\n"
    make_vault(root, notes, bib="", mkdocs=mkdocs)
    os.utime(root / "notes" / "Features.md", (STAMP, STAMP))  # not a git repository: the file's time is used
    url, server = serve(build_site(root, {}, "", mkdocs))
    yield url + "features/"
    server.shutdown()


@pytest.fixture
def page(browser):
    from conftest import local_only

    context = browser.new_context()
    local_only(context)
    yield context.new_page()
    context.close()


def test_a_footnote_reference_jumps_to_its_note_and_back(page, site):
    page.goto(site)
    page.locator("article sup a.footnote-ref").click()
    assert page.url.endswith("#fn:why")
    note = page.locator("[id='fn:why']")
    assert "The reason, at the bottom." in note.inner_text()
    assert note.evaluate("n => n.getBoundingClientRect().top < innerHeight")  # scrolled into view


def test_a_highlight_is_marked(page, site):
    page.goto(site)
    mark = page.locator("article mark")
    assert mark.inner_text() == "highlighted phrase"
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")


def test_task_list_items_show_their_state_as_checkboxes(page, site):
    page.goto(site)
    boxes = page.locator("article li.task-list-item input[type=checkbox]")
    assert boxes.count() == 2
    assert [boxes.nth(i).is_checked() for i in range(2)] == [True, False]
    assert "[x]" not in page.locator("article").inner_text()


def test_a_folding_callout_opens_when_its_title_is_clicked(page, site):
    page.goto(site)
    box = page.locator("article details.question")
    assert box.get_attribute("open") is None
    assert not page.get_by_text("Because the answer is long.").is_visible()
    box.locator("summary").click()
    assert page.get_by_text("Because the answer is long.").is_visible()


def test_a_mermaid_block_is_published_for_materials_diagram_script(site):
    from urllib.request import urlopen

    html = urlopen(site).read().decode()
    assert '<pre class="mermaid"><code>graph LR\n  A --&gt; B</code></pre>' in html


def test_offline_a_mermaid_diagram_shows_its_source(page, site):
    # Material loads the diagram script from unpkg (or a copy the site serves): blocked here,
    # the reader still gets the diagram's text
    page.goto(site)
    assert page.get_by_text("A --> B").is_visible()


def test_unreadable_tex_stays_visible_and_marked(page, site):
    page.goto(site)
    error = page.locator("article .fmkb-math-error")
    assert "x^" in error.inner_text()


def test_without_git_history_a_note_is_dated_by_its_file(page, site):
    page.goto(site)
    assert page.locator(".md-source-file__fact").first.inner_text().strip() == "2024-03-05"

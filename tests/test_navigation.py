"""A navigation that scales: above `nav_limit` pages each page carries a window of its
section (the index, the pages either side, a link to the index) and of other sections
only their index; every note stays reachable. Built with MkDocs, read as HTML."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urljoin

import pytest
from selectolax.lexbor import LexborHTMLParser

from conftest import build_site
from fmkb.htmlspace import squeeze

MODELS = [f"Model {i:02d}" for i in range(12)]


def _mkdocs(options: str = "") -> str:
    return (
        "site_name: t\ndocs_dir: notes\nsite_dir: site\ntheme:\n  name: material\n"
        "  features: [navigation.sections, navigation.indexes, navigation.prune]\n"
        "plugins:\n  - fmkb:\n      bibliography: references.bib\n" + options
    )


def _notes() -> dict[str, str]:
    notes = {"index.md": "# Home\n\n[[Model 00]] [[Idea 0]]\n"}
    notes.update({f"models/{t}.md": f"---\nkind: model\n---\n# {t}\n\n[[Idea 0]]\n" for t in MODELS})
    notes.update({f"concepts/Idea {i}.md": f"---\nkind: concept\n---\n# Idea {i}\n\n[[Model 00]]\n" for i in range(4)})
    return notes


@pytest.fixture(scope="module")
def windowed_site(tmp_path_factory) -> Path:
    return build_site(
        tmp_path_factory.mktemp("nav"), _notes(), "", _mkdocs("      nav_limit: 5\n      nav_radius: 2\n")
    )


def _nav_links(site: Path, page: str) -> list[str]:
    tree = LexborHTMLParser((site / page / "index.html").read_text(encoding="utf-8"))
    nav = tree.css_first("nav.md-nav--primary")
    return [a.text(strip=True) for a in nav.css("a.md-nav__link")]


def test_a_page_of_a_large_vault_shows_its_neighbours_and_a_link_to_its_section_index(windowed_site):
    links = _nav_links(windowed_site, "models/model-06")
    shown = [t for t in links if t.startswith("Model ")]
    assert shown == ["Model 04", "Model 05", "Model 06", "Model 07", "Model 08"]
    assert "All 12 in Models" in links


def test_the_window_stays_full_at_the_ends_of_a_section(windowed_site):
    shown = [t for t in _nav_links(windowed_site, "models/model-00") if t.startswith("Model ")]
    assert shown == ["Model 00", "Model 01", "Model 02", "Model 03", "Model 04"]


def test_another_section_shows_only_its_index(windowed_site):
    links = _nav_links(windowed_site, "models/model-06")
    assert "Concepts" in links and not any(t.startswith("Idea") for t in links)


def test_the_not_found_page_of_a_large_vault_shows_each_section_by_its_index(windowed_site):
    tree = LexborHTMLParser((windowed_site / "404.html").read_text(encoding="utf-8"))
    links = [a.text(strip=True) for a in tree.css_first("nav.md-nav--primary").css("a.md-nav__link")]
    assert "Models" in links and "Concepts" in links
    assert not any(t.startswith(("Model ", "Idea ")) for t in links)


def test_a_small_vault_keeps_its_whole_navigation(tmp_path):
    site = build_site(tmp_path, _notes(), "", _mkdocs())
    shown = [t for t in _nav_links(site, "models/model-06") if t.startswith("Model ")]
    assert shown == MODELS


def test_every_page_is_reachable_by_following_links_from_the_home_page(windowed_site):
    pages = {str(p.parent.relative_to(windowed_site)).strip(".") for p in windowed_site.rglob("index.html")}
    pages = {p + "/" if p else "" for p in pages}
    seen, todo = {""}, deque([""])
    while todo:
        here = todo.popleft()
        tree = LexborHTMLParser((windowed_site / here / "index.html").read_text(encoding="utf-8"))
        for a in tree.css("a[href]"):
            href = a.attributes.get("href") or ""
            if re.match(r"[a-z]+:|#", href):
                continue
            target = urljoin("http://x/" + here, href.split("#")[0])[len("http://x/") :]
            if target in pages and target not in seen:
                seen.add(target)
                todo.append(target)
    assert seen == pages


def test_squeezing_keeps_code_blocks_and_scripts_verbatim():
    page = (
        "<div>\n    <p>a\n      b</p>\n\n\n<pre><code>  x\n    y\n</code></pre>\n"
        "  <script>\n  let s = `a\n   b`;\n</script>\n</div>"
    )
    out = squeeze(page)
    assert "<pre><code>  x\n    y\n</code></pre>" in out and "let s = `a\n   b`;" in out
    assert "<div>\n<p>a\nb</p>\n<pre>" in out


def test_squeezing_changes_no_rendered_text(windowed_site):
    raw = (windowed_site / "models" / "model-06" / "index.html").read_text(encoding="utf-8")
    assert "\n  " not in re.sub(r"<(pre|script|style|textarea)\b.*?</\1>", "", raw, flags=re.S)  # the build squeezed it

    def text(html: str) -> str:
        return " ".join(LexborHTMLParser(html).body.text(separator=" ").split())

    assert text(squeeze(raw)) == text(raw)

"""`mkdocs build` with the fmkb plugin on tiny vaults: what a reader's browser receives."""

from __future__ import annotations

import logging
import re
import textwrap

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

SITE_YML = """\
site_name: test
docs_dir: notes
site_dir: site
theme:
  name: material
  features: [navigation.indexes, navigation.prune]
markdown_extensions:
  - toc:
      permalink: true
plugins:
  - search
  - tags
  - fmkb:
      bibliography: references.bib
"""

BIB = """\
@misc{kaplan2020scaling,
  title = {Scaling Laws for Neural Language Models},
  author = {Kaplan, Jared and McCandlish, Sam and Henighan, Tom},
  year = {2020}, eprint = {2001.08361}, archivePrefix = {arXiv}
}
"""

NOTES = {
    "index.md": "# Home\n\nStart at [[Scaling laws]].\n",
    "concepts/Scaling laws.md": """\
        ---
        title: Scaling laws
        kind: concept
        tags: [scaling]
        ---
        # Scaling laws

        Loss falls as a power law [@kaplan2020scaling, p. 3]. @kaplan2020scaling [sec. 6] compare.

        ## Key results

        See [[Scaling Laws for Neural Language Models#Key results|the paper's results]].
        """,
    "papers/Scaling Laws for Neural Language Models.md": """\
        ---
        title: Scaling Laws for Neural Language Models
        kind: paper
        cite: kaplan2020scaling
        year: 2020
        aliases: [Kaplan scaling laws]
        tags: [scaling]
        ---
        # Scaling Laws for Neural Language Models

        ## Key results

        Power laws [@kaplan2020scaling]. Back to [[Scaling laws]].
        """,
}


def write_site(tmp_path, notes=NOTES):
    (tmp_path / "mkdocs.yml").write_text(SITE_YML)
    (tmp_path / "references.bib").write_text(BIB)
    for rel, text in notes.items():
        p = tmp_path / "notes" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def build_site(tmp_path, notes=NOTES, strict=False):
    write_site(tmp_path, notes)
    cfg = load_config(str(tmp_path / "mkdocs.yml"), strict=strict)
    build(cfg)
    return tmp_path / "site"


@pytest.fixture(scope="module")
def default_site(tmp_path_factory):
    """The site of NOTES, built once for the tests that only read it."""
    return build_site(tmp_path_factory.mktemp("default-site"))


def page(site, url: str) -> str:
    return (site / url / "index.html").read_text()


def ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


def test_file_named_like_its_title_gets_a_slug_url(tmp_path):
    site = build_site(tmp_path)
    assert (site / "concepts" / "scaling-laws" / "index.html").exists()
    assert (site / "papers" / "scaling-laws-for-neural-language-models" / "index.html").exists()


def test_wikilink_points_at_the_heading_id_the_toc_generated(tmp_path):
    site = build_site(tmp_path)
    html = page(site, "concepts/scaling-laws")
    m = re.search(r'<a class="fmkb-link" href="([^"]+)">the paper(?:&#x27;|\')s results</a>', html)
    assert m, html
    path, anchor = m.group(1).split("#")
    assert path == "../../papers/scaling-laws-for-neural-language-models/"
    assert anchor in ids(page(site, "papers/scaling-laws-for-neural-language-models"))


def test_links_and_citations_skip_markdown_and_leave_no_token_behind(tmp_path, monkeypatch):
    import markdown as md

    seen: list[str] = []
    real = md.Markdown.convert
    monkeypatch.setattr(md.Markdown, "convert", lambda self, text: seen.append(text) or real(self, text))
    site = build_site(tmp_path)
    source = next(t for t in seen if "Loss falls as a power law" in t)
    assert "fmkb-link" not in source and "fmkb-cite" not in source  # Markdown saw tokens, not tags
    for f in site.rglob("*.html"):
        assert not re.search(r"fmkb[0-9a-f]{8}t\d+t", f.read_text()), f
    html = page(site, "concepts/scaling-laws")
    assert '<a class="fmkb-link" href="../../papers/scaling-laws-for-neural-language-models/#key-results">' in html


def test_a_link_in_a_heading_keeps_its_text_in_the_table_of_contents(tmp_path):
    notes = {**NOTES, "index.md": "# Home\n\n## About [[Scaling laws]]\n\nText.\n"}
    html = page(build_site(tmp_path, notes), ".")
    assert 'id="about-scaling-laws"' in html
    assert re.search(r'<h2 id="about-scaling-laws">About <a class="fmkb-link" href="concepts/scaling-laws/">', html)


def test_a_link_inside_an_image_description_puts_no_markup_in_an_attribute(tmp_path):
    notes = {**NOTES, "index.md": "# Home\n\n![see [[Scaling laws]] and [@kaplan2020scaling]](x.png)\n"}
    html = page(build_site(tmp_path, notes), ".")
    (tag,) = re.findall(r"<img [^>]*>", html)
    assert 'alt="see Scaling laws and @kaplan2020scaling"' in tag  # the note's own words, no markup


def test_citations_render_author_year_with_locators_and_link_to_references(tmp_path):
    html = page(build_site(tmp_path), "concepts/scaling-laws")
    assert '(<a class="fmkb-cite" href="#ref-kaplan2020scaling">Kaplan et al., 2020</a>, p. 3)' in html
    assert ">Kaplan et al. (2020, sec. 6)</a>" in html
    assert 'id="ref-kaplan2020scaling"' in html
    assert 'href="https://arxiv.org/abs/2001.08361"' in html


def test_backlinks_section_lists_linking_notes(tmp_path):
    html = page(build_site(tmp_path), "concepts/scaling-laws")
    section = html[html.index('id="fmkb-backlinks"') :]
    assert ">Home</a>" in section and ">Scaling Laws for Neural Language Models</a>" in section


def test_aliases_are_on_the_page_for_search(tmp_path):
    html = page(build_site(tmp_path), "papers/scaling-laws-for-neural-language-models")
    assert "Also known as: <strong>Kaplan scaling laws</strong>" in html


def test_bibliography_page_lists_entries_and_citing_notes(tmp_path):
    html = page(build_site(tmp_path), "bibliography")
    assert 'id="ref-kaplan2020scaling"' in html
    assert "Cited by:" in html and "../concepts/scaling-laws/" in html


def test_papers_index_is_a_sortable_table(tmp_path):
    html = page(build_site(tmp_path), "papers")
    assert 'class="fmkb-sortable fmkb-index fmkb-index-paper"' in html
    assert "<td>2020</td>" in html and "scaling-laws-for-neural-language-models/" in html


def test_tags_page_exists(tmp_path):
    html = page(build_site(tmp_path), "tags")
    assert "scaling" in html


def test_assets_are_shipped_and_linked(tmp_path):
    site = build_site(tmp_path)
    assert (site / "assets" / "fmkb" / "fmkb.js").exists()
    assert "assets/fmkb/fmkb.css" in page(site, "concepts/scaling-laws")


def test_broken_link_is_visible_and_logged_once_with_place(tmp_path, caplog):
    notes = {**NOTES, "concepts/Bad.md": "# Bad\n\nSee [[Nope]] and [@nobody2020x].\n"}
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.fmkb"):
        site = build_site(tmp_path, notes)
    html = page(site, "concepts/bad")
    assert html.count('class="fmkb-broken"') == 2
    assert 'title="unresolved wiki-link [[Nope]] [link-unresolved]"' in html
    messages = [r.getMessage() for r in caplog.records if r.name == "mkdocs.plugins.fmkb"]
    assert sum("notes/concepts/Bad.md:3:5: unresolved wiki-link [[Nope]]" in m for m in messages) == 1
    assert sum("notes/concepts/Bad.md:3:19:" in m and "cite-unknown" in m for m in messages) == 1


def test_strict_build_fails_on_broken_links(tmp_path):
    notes = {**NOTES, "concepts/Bad.md": "# Bad\n\n[[Nope]]\n"}
    with pytest.raises(Abort):
        build_site(tmp_path, notes, strict=True)


def test_strict_build_passes_on_a_clean_vault(tmp_path):
    assert (build_site(tmp_path, strict=True) / "index.html").exists()


def test_bibliography_is_parsed_once_per_content(tmp_path, monkeypatch):
    """Across rebuilds (as under `mkdocs serve`) an unchanged references.bib is neither parsed nor
    read from the cache again."""
    import fmkb.bibcache as bibcache

    calls = []
    real = bibcache._decoded_or_parsed
    monkeypatch.setattr(bibcache, "_decoded_or_parsed", lambda *a: calls.append(a) or real(*a))
    build_site(tmp_path)
    (tmp_path / "references.bib").write_text(BIB + f"\n% unique to {tmp_path}\n")
    cfg = load_config(str(tmp_path / "mkdocs.yml"))
    cfg.plugins.on_startup(command="serve", dirty=False)
    build(cfg)
    after_first = len(calls)
    build(cfg)
    build(cfg)
    assert len(calls) == after_first  # unchanged content: no parse on the rebuilds
    (tmp_path / "references.bib").write_text(BIB + f"\n% edited {tmp_path}\n")
    build(cfg)
    assert len(calls) == after_first + 1


def test_a_build_reuses_the_bibliography_fmkb_check_cached(tmp_path, monkeypatch):
    import fmkb.bibcache as bibcache

    write_site(tmp_path)
    monkeypatch.chdir(tmp_path)
    from fmkb.cli import main

    assert main(["check"]) == 0
    parses = []
    real = bibcache.parse_bibliography_bytes
    monkeypatch.setattr(bibcache, "parse_bibliography_bytes", lambda *a: parses.append(a) or real(*a))
    build(load_config(str(tmp_path / "mkdocs.yml")))
    assert parses == []
    assert (tmp_path / "site" / "bibliography" / "index.html").exists()


def test_rebuild_reparses_only_changed_notes(tmp_path, monkeypatch):
    """Under `mkdocs serve` an edit re-parses that note alone; the others' parse results are reused."""
    import fmkb.load as load_module

    parsed = []
    real = load_module.load_note
    monkeypatch.setattr(
        load_module,
        "load_note",
        lambda rel, raw, shown=None, math=True: parsed.append(rel) or real(rel, raw, shown, math),
    )
    build_site(tmp_path)
    cfg = load_config(str(tmp_path / "mkdocs.yml"))
    cfg.plugins.on_startup(command="serve", dirty=False)
    build(cfg)
    parsed.clear()
    note = tmp_path / "notes" / "concepts" / "Scaling laws.md"
    note.write_text(note.read_text() + "\nAn edit.\n")
    build(cfg)
    assert parsed == ["concepts/Scaling laws.md"]


def test_unsafe_html_is_escaped_on_the_page_and_fails_strict(tmp_path):
    notes = {**NOTES, "concepts/Bad.md": "# Bad\n\n<script>alert(1)</script> [x](javascript:alert(1))\n"}
    site = build_site(tmp_path, notes)
    html = page(site, "concepts/bad")
    assert "<script>alert(1)" not in html and "alert(1)</script>" not in html  # dropped by the sanitizer
    assert "javascript:alert" not in html
    with pytest.raises(Abort):
        build_site(tmp_path, notes, strict=True)


def test_symlink_out_of_docs_dir_is_not_published(tmp_path):
    import os

    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nTOP SECRET\n")
    (tmp_path / "notes").mkdir()
    os.symlink(secret, tmp_path / "notes" / "leak.md")
    site = build_site(tmp_path)
    assert not (site / "leak").exists()
    assert not any("TOP SECRET" in p.read_text(errors="ignore") for p in site.rglob("*.html"))


def test_hostile_front_matter_does_not_crash_mkdocs(tmp_path):
    """MkDocs' own YAML loader segfaults on deeply nested front matter; fmkb hands it the body instead."""
    import subprocess
    import sys

    write_site(tmp_path, {**NOTES, "concepts/Deep.md": "---\nx: " + "[" * 100_000 + "]" * 100_000 + "\n---\n# Deep\n"})
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "notes/concepts/Deep.md:2:1: front matter YAML is nested more than 256 levels" in proc.stderr
    assert (tmp_path / "site" / "concepts" / "deep" / "index.html").exists()


@pytest.mark.parametrize(
    "front", ["", "---\ntitle: A\n---\n", "---\ntitle: A\n---\n\n\n", "\ufeff---\r\ntitle: A\r\n---\r\n"]
)
def test_links_replace_exactly_their_own_characters_whatever_the_front_matter(tmp_path, front):
    notes = {**NOTES, "index.md": front + "# Home\n\nRead [[Scaling laws]] for more, then [[Scaling laws|this]].\n"}
    html = page(build_site(tmp_path, notes), ".")
    assert re.search(r"Read <a class=\"fmkb-link\" href=\"[^\"]+\">Scaling laws</a> for more, then <a ", html), html


def test_linked_from_is_grouped_by_kind_with_the_sentence_around_each_link(default_site):
    html = page(default_site, "concepts/scaling-laws")
    section = html[html.index('id="fmkb-backlinks"') :]
    kinds = re.findall(r'<h3 class="fmkb-backlinks-kind">([A-Za-z ]+) <span class="fmkb-count">(\d+)</span>', section)
    assert ("Papers", "1") in kinds and ("Other pages", "1") in kinds
    assert [k for k, _ in kinds] == sorted(
        (k for k, _ in kinds), key=["Papers", "Models", "Concepts", "Resources", "Other pages"].index
    )
    contexts = re.findall(r'<div class="fmkb-context">([^<]*)</div>', section)
    assert contexts and all("[[" not in c and "[@" not in c for c in contexts)


def test_without_a_site_url_no_cite_line_is_made_up(default_site):
    assert "fmkb-cite-note" not in page(default_site, "concepts/scaling-laws")


def test_the_home_page_cites_into_the_bibliography_without_a_references_list(tmp_path):
    notes = {**NOTES, "index.md": "# Home\n\nStart at [[Scaling laws]] [@kaplan2020scaling].\n"}
    html = page(build_site(tmp_path, notes), "")
    assert 'id="fmkb-references"' not in html
    cites = re.findall(r'<a class="fmkb-cite" href="([^"]+)"', html)
    assert cites and all(h.startswith("bibliography/#ref-") for h in cites)


def test_the_shipped_config_takes_its_addresses_from_the_environment(monkeypatch):
    """What the deploy workflow sets (SITE_URL, REPO_URL, EDIT_URI) is what the site is built with."""
    from pathlib import Path

    monkeypatch.setenv("SITE_URL", "https://example.org/kb/")
    monkeypatch.setenv("REPO_URL", "https://git.example.org/me/kb")
    monkeypatch.setenv("EDIT_URI", "edit/main/notes/")
    cfg = load_config(str(Path(__file__).resolve().parent.parent / "mkdocs.yml"))
    assert (cfg.site_url, cfg.repo_url, cfg.edit_uri) == (
        "https://example.org/kb/",
        "https://git.example.org/me/kb",
        "edit/main/notes/",
    )


def test_under_a_project_path_the_404_page_and_the_sitemap_use_the_site_url(tmp_path):
    """The 404 page loads its styles from the project's path, the sitemap lists the pages, and each
    page has an edit link into the repository."""
    write_site(tmp_path, NOTES)
    yml = tmp_path / "mkdocs.yml"
    yml.write_text(
        yml.read_text().replace(
            "features: [navigation.indexes", "features: [content.action.edit, navigation.indexes", 1
        )
    )
    options = {
        "site_url": "https://example.org/kb/",
        "repo_url": "https://git.example.org/me/kb",
        "edit_uri": "edit/main/notes/",
    }
    build(load_config(str(tmp_path / "mkdocs.yml"), **options))
    out = tmp_path / "site"
    not_found = (out / "404.html").read_text()
    assert re.search(r'href="/kb/assets/stylesheets/main\.[0-9a-f]+\.min\.css"', not_found)
    assert "<loc>https://example.org/kb/concepts/scaling-laws/</loc>" in (out / "sitemap.xml").read_text()
    page_html = (out / "concepts" / "scaling-laws" / "index.html").read_text()
    assert 'href="https://git.example.org/me/kb/edit/main/notes/concepts/Scaling laws.md"' in page_html
    cite = re.search(r'<p class="fmkb-cite-note">(.*?)</p>', page_html)
    assert cite and "“Scaling laws.”" in cite.group(1)
    assert 'href="https://example.org/kb/concepts/scaling-laws/"' in cite.group(1)


def test_a_reference_links_to_the_note_on_its_paper(default_site):
    html = page(default_site, "concepts/scaling-laws")
    item = re.search(r'<li id="ref-kaplan2020scaling".*?</li>', html, re.S)
    assert (
        item and 'class="fmkb-note-link" href="../../papers/scaling-laws-for-neural-language-models/"' in item.group()
    )
    own = page(default_site, "papers/scaling-laws-for-neural-language-models")
    mine = re.search(r'<li id="ref-kaplan2020scaling".*?</li>', own, re.S)
    assert mine and "fmkb-note-link" not in mine.group()  # not a link to itself


def test_the_bibliography_can_be_downloaded_from_its_page(default_site):
    site = default_site
    assert (site / "references.bib").read_bytes() == (site.parent / "references.bib").read_bytes()
    assert 'href="../references.bib"' in page(site, "bibliography")


def test_a_paper_note_opens_with_its_card(default_site):
    html = page(default_site, "papers/scaling-laws-for-neural-language-models")
    card = re.search(r'<div class="fmkb-paper-card">.*?</div>', html, re.S)
    assert card, "no paper card"
    text = card.group()
    assert '<p class="fmkb-card-authors">Jared Kaplan, Sam McCandlish, Tom Henighan' in text
    assert 'href="https://arxiv.org/abs/2001.08361"' in text and 'href="https://arxiv.org/pdf/2001.08361"' in text
    assert "@misc{kaplan2020scaling," in text and "<details" in text
    assert re.search(r'Cited in \d+ notes?: <a href="[^"]+">Scaling laws</a>', text)
    assert html.index("fmkb-paper-card") < html.index("</h1>") + 600  # right under the title

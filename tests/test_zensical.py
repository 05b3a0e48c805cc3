"""`fmkb zensical`: the site built with Zensical reads as the MkDocs build reads.

Each vault (a tiny one, the hostile corpus, the shipped notes) is built with both renderers;
what a reader gets is compared: the pages, each page's article (normalised for the themes'
own differences), links and anchors, citations, References, Linked from, the navigation,
the table of contents and the search index. No network: Zensical is installed by the test
extra, and builds offline.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser

from conftest import BIB, make_vault

pytest.importorskip("zensical")

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}

YML = """\
site_name: tiny
docs_dir: notes
theme:
  name: material
  features: [navigation.indexes]
markdown_extensions:
  - toc:
      permalink: true
  - admonition
  - attr_list
  - footnotes
  - pymdownx.superfences
  - fmkb.callouts
plugins:
  - search
  - tags
  - fmkb:
      bibliography: references.bib
"""

NOTES: dict[str, str | bytes] = {
    "index.md": "---\ntitle: Home\n---\n# Home\n\nStart at [[Scaling laws]], the [[Chinchilla|compute-optimal paper]] "
    "and [[Missing note]] [@kaplan2020scaling; @hoffmann2022training].\n",
    "concepts/Scaling laws.md": """\
        ---
        title: Scaling laws
        kind: concept
        tags: [scaling]
        aliases: [Power laws]
        description: "How loss falls with \\"scale\\" & compute"
        ---
        # Scaling laws

        Loss falls as a power law [@kaplan2020scaling, p. 3]. @hoffmann2022training [sec. 6] disagree: see
        [[Training Compute-Optimal Large Language Models#Key results|their results]] and a block
        [[Training Compute-Optimal Large Language Models#^claim]].

        ## Results with [[Chinchilla]]

        ![[My Figure.png|300]], a [file](../attachments/My%20Figure.png), a
        [markdown link](../papers/Training%20Compute-Optimal%20Large%20Language%20Models.md#key-results), [[notes.pdf]].

        ![[Training Compute-Optimal Large Language Models#Key results]]

        > [!tip] Remember
        > Unknown [@nobody2020] and [[Nothing here]].

        A footnote[^1] and <a href="../../papers/training-compute-optimal-large-language-models/">a raw link</a>.

        [^1]: With [[Chinchilla]] in it.
        """,
    "papers/Training Compute-Optimal Large Language Models.md": """\
        ---
        title: Training Compute-Optimal Large Language Models
        kind: paper
        cite: hoffmann2022training
        year: 2022
        aliases: [Chinchilla]
        tags: [scaling, training]
        ---
        # Training Compute-Optimal Large Language Models

        ## Key results

        Tokens and parameters should scale equally [@hoffmann2022training]. A claim. ^claim

        Back to [[Scaling laws]].
        """,
    "models/Chinchilla model.md": """\
        ---
        title: Chinchilla model
        kind: model
        organization: DeepMind
        released: 2022-03-29
        parameters: 70B
        paper: hoffmann2022training
        tags: [model]
        ---
        # Chinchilla model

        Trained per [[Scaling laws]].
        """,
    "attachments/My Figure.png": b"\x89PNG\r\n\x1a\nnot really",
    "attachments/notes.pdf": b"%PDF-1.4 not really",
    "Odd [name] *x*.md": "# Odd\n\nA note with Markdown in its name, see [[index]].\n",
    "misc/Thing.md": "# Thing\n\nIn a folder without an index, see [[index]].\n",
}


# --- building both ways ---------------------------------------------------------------


def zensical(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`fmkb zensical` in `root`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "fmkb", "zensical", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**ENV, **(env or {})},
        timeout=600,
    )


def mkdocs(root: Path, env: dict | None = None) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**ENV, **(env or {})},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def both(root: Path, env: dict | None = None) -> tuple[Path, Path]:
    """The site built by MkDocs and by `fmkb zensical`."""
    mkdocs(root, env)
    done = zensical(root, env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return root / "site", root / "site-zensical"


def vault_both(root: Path, notes: dict[str, str | bytes]) -> tuple[Path, Path]:
    """A vault of these notes (the test bibliography and configuration), built both ways."""
    make_vault(root, notes, bib=BIB, mkdocs=YML)
    return both(root)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, Path]:
    return vault_both(tmp_path_factory.mktemp("tiny"), NOTES)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> tuple[Path, Path]:
    """The shipped notes, both ways: CI builds the site with each renderer."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copytree(ROOT / "notes", root / "notes")
    shutil.copy(ROOT / "references.bib", root)
    shutil.copy(ROOT / "mkdocs.yml", root)
    return both(root)


# --- what a reader gets ------------------------------------------------------------------


def pages(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*.html")}


def html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def article(page: str) -> str:
    """A page's article as a reader gets it, without what the two themes place or mark
    differently: Zensical's skip anchor, the tags bar and the "last update" line (each theme
    puts them elsewhere around fmkb's blocks), the permalink Zensical gives the References,
    Linked-from and Graph headings (Markdown headings there), and whitespace."""
    text = page[page.index(">", page.index("<article")) + 1 : page.rindex("</article>")]
    text = text.replace('<a id="__skip" tabindex="-1"></a>', "")
    text = re.sub(r'<nav class="md-tags"[^>]*>.*?</nav>', "", text, flags=re.S)
    text = re.sub(r'<aside class="md-source-file">.*?</aside>', "", text, flags=re.S)
    text = re.sub(r'(<h2 id="fmkb-[a-z]+">[^<]*)<a class="headerlink"[^>]*>[^<]*</a>', r"\1", text)
    return re.sub(r">\s+<", "><", " ".join(text.split())).strip()


def differing(a: Path, b: Path) -> list[str]:
    """The pages whose articles differ. On the Tags page MkDocs shows Material's listing and
    Zensical fmkb's (Zensical's own needs memory that grows with the square of the vault):
    the same headings, notes and links, with Material's spaces inside each link, its entities
    for quotes and its '..' for '../'."""
    out = []
    for url in sorted(pages(a)):
        if url == "404.html":
            continue
        left, right = article((a / url).read_text("utf-8")), article((b / url).read_text("utf-8"))
        if url == "tags/index.html":
            left, right = (
                html_lib.unescape(re.sub(r">\s+|\s+<", lambda m: m.group().strip(), x)).replace(
                    'href=".."', 'href="../"'
                )
                for x in (left, right)
            )
        if left != right:
            out.append(url)
    return out


def tree(page: str) -> LexborHTMLParser:
    return LexborHTMLParser(page)


def reader_text(node) -> str:
    """What a reader reads of an element: its text, without code (where `[[` is an example)."""
    copy = tree(node.html)
    for code in copy.css("code, pre, .fmkb-broken"):  # a broken link shows as written, on purpose
        code.decompose()
    return copy.text()


def section(page: str, ident: str) -> list[str]:
    """The links (text and address) of one of fmkb's blocks: References or Linked from."""
    doc = tree(page)
    heading = doc.css_first(f"#{ident}")
    assert heading is not None, ident
    found, node = [], heading.next
    while node is not None and node.tag != "h2":
        if node.tag not in ("-text",):
            found += [f"{a.text(strip=True)} -> {a.attributes.get('href')}" for a in node.css("a")]
        node = node.next
    return found


# --- the same site ------------------------------------------------------------------------


def test_both_renderers_publish_the_same_pages(tiny):
    mkdocs_site, zensical_site = tiny
    assert pages(mkdocs_site) == pages(zensical_site)


def test_every_page_reads_the_same_under_both_renderers(tiny):
    assert differing(*tiny) == []


def test_the_shipped_notes_publish_the_same_site_with_both_renderers(shipped):
    mkdocs_site, zensical_site = shipped
    assert pages(mkdocs_site) == pages(zensical_site)
    assert len(pages(zensical_site)) > 200
    assert differing(mkdocs_site, zensical_site) == []


def test_the_navigation_is_the_mkdocs_navigation(tiny):
    def nav(site: Path) -> list[tuple[str, str]]:  # the addresses resolved: Zensical writes './' as '././'
        primary = tree(html(site, "concepts/scaling-laws")).css_first("nav.md-nav--primary")
        base = "http://site/concepts/scaling-laws/"
        return [
            (a.text(strip=True), urljoin(base, a.attributes.get("href") or "")) for a in primary.css("a.md-nav__link")
        ]

    assert nav(tiny[0]) == nav(tiny[1])


def test_the_table_of_contents_lists_fmkb_blocks_as_mkdocs_does(tiny):
    def toc(site: Path) -> list[tuple[str, str]]:
        secondary = tree(html(site, "concepts/scaling-laws")).css_first("nav.md-nav--secondary")
        return [(a.attributes.get("href") or "", a.text(strip=True)) for a in secondary.css("a")]

    found = toc(tiny[1])
    assert found == toc(tiny[0])
    assert [href for href, _ in found][-3:] == ["#fmkb-references", "#fmkb-backlinks", "#fmkb-graph"]


# --- links, citations, references, backlinks -----------------------------------------------------


def test_every_internal_link_and_anchor_resolves(tiny, shipped):
    ids: dict[Path, set[str | None]] = {}

    def anchors(path: Path) -> set[str | None]:
        if path not in ids:
            ids[path] = {n.attributes.get("id") for n in tree(path.read_text("utf-8")).css("[id]")}
        return ids[path]

    for site in (tiny[1], shipped[1]):
        for url in pages(site):
            base = "http://site/" + url
            doc = tree((site / url).read_text("utf-8"))
            for el in doc.css("article a[href], article img[src]"):
                ref = el.attributes.get("href") or el.attributes.get("src") or ""
                target = urljoin(base, ref)
                if not target.startswith("http://site/"):
                    continue  # another site
                parts = urlsplit(target)
                path = site / unquote(parts.path.removeprefix("/"))
                path = path / "index.html" if parts.path.endswith("/") else path
                assert path.is_file(), f"{url}: {ref}"
                if parts.fragment and path.suffix == ".html":
                    assert unquote(parts.fragment) in anchors(path), f"{url}: {ref}"


def test_citations_are_author_year_and_link_to_the_references(tiny):
    page = html(tiny[1], "concepts/scaling-laws")
    assert '(<a class="fmkb-cite" href="#ref-kaplan2020scaling">Kaplan and McCandlish, 2020</a>, p. 3)' in page
    assert ">Hoffmann and Borgeaud (2022, sec. 6)</a>" in page
    assert 'id="ref-kaplan2020scaling"' in page and 'id="ref-hoffmann2022training"' in page


def test_references_and_linked_from_equal_the_mkdocs_build(tiny):
    for url in ("concepts/scaling-laws", "papers/training-compute-optimal-large-language-models"):
        for ident in ("fmkb-references", "fmkb-backlinks"):
            assert section(html(tiny[1], url), ident) == section(html(tiny[0], url), ident)
    linked = section(html(tiny[1], "concepts/scaling-laws"), "fmkb-backlinks")
    assert "Home -> ../../" in linked and "Chinchilla model -> ../../models/chinchilla-model/" in linked


def test_the_home_page_cites_into_the_bibliography(tiny):
    page = html(tiny[1], ".")
    assert '<a class="fmkb-cite" href="bibliography/#ref-kaplan2020scaling">' in page
    assert 'id="fmkb-references"' not in page


def test_a_markdown_link_an_embed_and_a_raw_link_reach_their_targets(tiny):
    page = html(tiny[1], "concepts/scaling-laws")
    assert '<img alt="My Figure.png" src="../../attachments/My%20Figure.png" width="300">' in page
    assert 'href="../../papers/training-compute-optimal-large-language-models/#key-results">markdown link' in page
    assert 'href="../../papers/training-compute-optimal-large-language-models/">a raw link' in page
    assert 'class="fmkb-embed"' in page


def test_the_generated_pages_are_published(tiny):
    site = tiny[1]
    assert 'class="fmkb-references fmkb-bibliography"' in html(site, "bibliography")
    assert 'href="../references.bib"' in html(site, "bibliography") and (site / "references.bib").is_file()
    assert 'class="fmkb-sortable fmkb-index fmkb-index-paper"' in html(site, "papers")
    assert 'class="fmkb-tag-counts"' in html(site, "tags") and 'id="tag:scaling"' in html(site, "tags")
    assert json.loads((site / "graph.json").read_text())["nodes"]
    assert (site / "assets" / "fmkb" / "fmkb.js").is_file() and "assets/fmkb/fmkb.css" in html(site, ".")


# --- nothing raw, nothing that runs ----------------------------------------------------------------


def test_nothing_raw_is_left_in_articles_or_search(tiny, shipped):
    for site in (tiny[1], shipped[1]):
        broken = set()  # a broken link or citation shows as written, on purpose (and is searchable)
        for url in pages(site):
            node = tree((site / url).read_text("utf-8")).css_first("article")
            if node is None:
                continue
            broken |= {span.text() for span in node.css(".fmkb-broken")}
            text = reader_text(node)
            assert "[[" not in text and "[@" not in text, url
            assert not re.search(r"fmkb[0-9a-f]{8}t\d+t|fmkb-[0-9a-f]{16}-as-written", node.html), url
        for item in json.loads((site / "search.json").read_text("utf-8"))["items"]:
            text = reader_text(tree(item["text"]).body) if item["text"] else ""
            for written in broken:
                text = text.replace(written, "")
            assert "[[" not in text and "[@" not in text and not re.search(r"fmkb[0-9a-f]{8}t\d+t", item["text"])


def test_no_script_inside_any_article(tiny, shipped):
    for site in (tiny[1], shipped[1]):
        for url in pages(site):
            assert not tree((site / url).read_text("utf-8")).css("article script"), url


def test_a_broken_link_is_visible(tiny):
    page = html(tiny[1], ".")
    assert '<span class="fmkb-broken" title="unresolved wiki-link [[Missing note]] [link-unresolved]">' in page
    assert page.count('class="fmkb-broken"') == html(tiny[0], ".").count('class="fmkb-broken"')


def test_a_broken_link_fails_a_strict_build_and_publishes_nothing(tmp_path):
    make_vault(tmp_path, {"index.md": "# Home\n\n[[Nowhere]]\n"}, bib=BIB, mkdocs=YML)
    done = zensical(tmp_path, "--strict")
    assert done.returncode == 1
    assert "notes/index.md:3:1: unresolved wiki-link [[Nowhere]] [link-unresolved]" in done.stderr
    assert "strict mode; nothing built" in done.stderr
    assert not (tmp_path / "site-zensical").exists()


def test_diagnostics_are_reported_as_the_plugin_reports_them(tmp_path):
    make_vault(tmp_path, {"index.md": "# Home\n\n[[Nowhere]]\n"}, bib=BIB, mkdocs=YML)
    done = zensical(tmp_path)
    assert done.returncode == 0
    assert "WARNING -  notes/index.md:3:1: unresolved wiki-link [[Nowhere]] [link-unresolved]" in done.stderr
    assert "Traceback" not in done.stderr


# --- search --------------------------------------------------------------------------------


def test_search_has_alias_entries_and_not_fmkb_blocks(tiny):
    items = json.loads((tiny[1] / "search.json").read_text("utf-8"))["items"]
    aliases = {i["location"]: i["title"] for i in items if i["location"].endswith("#fmkb-aliases")}
    assert aliases["papers/training-compute-optimal-large-language-models/#fmkb-aliases"] == "Chinchilla"
    assert not [i for i in items if i["location"].endswith(("#fmkb-references", "#fmkb-backlinks", "#fmkb-graph"))]


def test_search_text_has_the_words_a_reader_sees(tiny):
    items = json.loads((tiny[1] / "search.json").read_text("utf-8"))["items"]
    text = " ".join(i["text"] for i in items if i["location"].startswith("concepts/scaling-laws/"))
    assert "Kaplan and McCandlish, 2020" in text and "their results" in text


# --- escaping -------------------------------------------------------------------------------


HOSTILE_NAMES = {
    "index.md": "# Home\n\n[[Strange]] [[folder]]\n",
    "Strange.md": """\
        ---
        title: "<script>window.__xss=1</script> {{ config.site_name }} \\"quoted\\""
        aliases: ["\\"><img src=x onerror=window.__xss=1>", "{{ 6*7 }}"]
        tags: ["<b>bold</b>", "{{ 8*8 }}"]
        description: "\\"><script>window.__xss=1</script>"
        ---
        # Strange

        ## Head <img src=x onerror="window.__xss=1"> {data-toc-label="<img src=x onerror=window.__xss=1>"}

        Text [[index]].
        """,
    "<svg onload=alert(1)> [x](y)/folder.md": "# folder\n\n*Emphasis* in a folder named with markup [[Strange]].\n",
}


@pytest.fixture(scope="module")
def strange(tmp_path_factory) -> tuple[Path, Path]:
    return vault_both(tmp_path_factory.mktemp("strange"), HOSTILE_NAMES)


def test_titles_aliases_and_tags_with_markup_or_jinja_are_text(strange):
    site = strange[1]
    page = html(site, "strange")
    title = "&lt;script&gt;window.__xss=1&lt;/script&gt; {{ config.site_name }} &quot;quoted&quot;"
    assert f"<title>{title} - tiny</title>" in page and f"<h1>{title}</h1>" not in page  # the note's own H1
    assert "<strong>{{ 6*7 }}</strong>" in page  # no template ever sees a note's words as a template
    for raw in ("<script>window", "<img src=x", "<b>bold</b>", ">42<", ">64<"):
        assert raw not in page, raw
    assert 'Also known as: <strong>"&gt;&lt;img src=x onerror=window.__xss=1&gt;</strong>' in page
    home = html(site, ".")
    assert "&lt;svg onload=alert(1)&gt; [x](y)" in home and "<svg onload" not in home  # a section's name


def test_a_heading_with_raw_html_reaches_the_table_of_contents_as_text(strange):
    toc = tree(html(strange[1], "strange")).css_first("nav.md-nav--secondary")
    assert not [el for el in toc.css("*") if any(a.startswith("on") for a in el.attributes)]
    assert not toc.css("img, script")


def test_search_titles_and_text_carry_no_markup_that_runs(strange):
    for item in json.loads((strange[1] / "search.json").read_text("utf-8"))["items"]:
        for field in ("title", "text"):
            doc = tree(f"<div>{item[field]}</div>")
            assert not doc.css("script, img[onerror]"), item
            assert not [el for el in doc.css("*") if any(a.startswith("on") for a in el.attributes)], item


def test_the_hostile_corpus_publishes_nothing_that_runs_and_reads_as_with_mkdocs(tmp_path_factory):
    from test_hostile import BIB as EVIL_BIB
    from test_hostile import DEFUSED, HOSTILE, HOSTILE_FILES

    root = tmp_path_factory.mktemp("hostile")
    notes: dict[str, str | bytes] = {f"hostile/{name}.md": text for name, text in {**HOSTILE, **DEFUSED}.items()}
    notes |= {f"files/{name}": text for name, text in HOSTILE_FILES.items()}
    notes["index.md"] = "# Home\n\n" + " ".join(f"[[{name}]]" for name in {**HOSTILE, **DEFUSED}) + "\n"
    yml = YML.replace("site_name: tiny", "site_name: hostile")
    make_vault(root, notes, EVIL_BIB, yml)
    mkdocs_site, site = both(root)
    assert differing(mkdocs_site, site) == []
    danger = []
    for url in pages(site):
        for el in tree((site / url).read_text("utf-8")).css("*"):
            for name, value in el.attributes.items():
                scheme = re.match(r"\s*([a-z]+):", (value or "").lower())
                if (
                    name.startswith("on")
                    or name == "srcdoc"
                    or (name in ("href", "src") and scheme and scheme.group(1) in ("javascript", "vbscript", "data"))
                ):
                    danger.append((url, el.tag, name))
            if el.tag == "script" and "__xss" in el.html:
                danger.append((url, "script"))
    assert danger == []


# --- the command ---------------------------------------------------------------------------------


def test_without_zensical_the_command_says_how_to_install_it(tmp_path, run_cli, monkeypatch):
    import fmkb.zensical_build

    monkeypatch.setattr(fmkb.zensical_build, "zensical_installed", lambda: False)
    make_vault(tmp_path, {"index.md": "# Home\n"}, bib=BIB, mkdocs=YML)
    code, _, err = run_cli(tmp_path, "zensical")
    assert code == 2
    assert "Zensical is not installed (hint: pip install 'fmkb[zensical]')" in err


def test_a_site_folder_fmkb_did_not_make_is_never_overwritten(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "# Home\n"}, bib=BIB, mkdocs=YML)
    (tmp_path / "site-zensical").mkdir()
    (tmp_path / "site-zensical" / "mine.txt").write_text("keep me")
    code, _, err = run_cli(tmp_path, "zensical")
    assert code == 2 and "was not made by fmkb" in err
    assert (tmp_path / "site-zensical" / "mine.txt").read_text() == "keep me"


def test_a_link_in_place_of_the_staging_folder_is_never_followed(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "# Home\n"}, bib=BIB, mkdocs=YML)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "FMKB-STAGE").write_text("")
    (tmp_path / ".fmkb-zensical").symlink_to(elsewhere)
    code, _, err = run_cli(tmp_path, "zensical")
    assert code == 2 and "symbolic link" in err
    assert (elsewhere / "FMKB-STAGE").exists()


def test_a_site_folder_outside_the_project_is_refused(tmp_path, run_cli):
    make_vault(tmp_path / "project", {"index.md": "# Home\n"}, bib=BIB, mkdocs=YML)
    code, _, err = run_cli(tmp_path / "project", "zensical", "--site-dir", "../out")
    assert code == 2 and "not inside the project" in err
    assert not (tmp_path / "out").exists()


def test_a_second_build_replaces_the_first_and_sees_what_changed(tmp_path):
    make_vault(tmp_path, {"index.md": "# Home\n\n[[A]]\n", "A.md": "# A\n\ntext\n"}, bib=BIB, mkdocs=YML)
    assert zensical(tmp_path).returncode == 0
    (tmp_path / "notes" / "B.md").write_text("# B\n\nAbout [[A]].\n")  # A's own file is unchanged
    assert zensical(tmp_path).returncode == 0
    assert section(html(tmp_path / "site-zensical", "a"), "fmkb-backlinks") == ["B -> ../b/", "Home -> ../"]
    assert (tmp_path / "site-zensical" / ".fmkb-zensical-site").is_file()


def test_the_edit_link_names_the_note_as_in_the_mkdocs_build(tmp_path):
    yml = YML.replace("theme:\n", "repo_url: https://example.org/r\nedit_uri: edit/main/notes/\ntheme:\n", 1)
    yml = yml.replace("features: [navigation.indexes]", "features: [navigation.indexes, content.action.edit]")
    make_vault(tmp_path, {"index.md": "# Home\n\n[[Scaling laws]]\n", "concepts/Scaling laws.md": "# S\n"}, BIB, yml)
    mkdocs_site, site = both(tmp_path)

    def edit(s: Path) -> list[str]:
        return [a.attributes.get("href") or "" for a in tree(html(s, "concepts/scaling-laws")).css('a[rel="edit"]')]

    assert edit(site) == edit(mkdocs_site) == ["https://example.org/r/edit/main/notes/concepts/Scaling laws.md"]
    assert not tree(html(site, "bibliography")).css('a[rel="edit"]')  # a generated page has none


CONFIG = """\
site_name: tiny
site_url: !ENV [NO_SUCH_VARIABLE, 'https://x.org/']
docs_dir: notes
theme: material
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
plugins:
  - search
  - fmkb:
      bibliography: references.bib
"""


def test_the_generated_configuration_keeps_the_site_and_drops_the_plugin(tmp_path):
    from fmkb.config import load_project
    from fmkb.engine import analyze
    from fmkb.site import Build
    from fmkb.stage import plan
    from fmkb.zensical_build import stage_config

    make_vault(tmp_path, {"index.md": "# Home\n"}, bib=BIB, mkdocs=CONFIG)
    settings, _ = load_project(str(tmp_path / "mkdocs.yml"))
    build = Build.of(analyze(settings))
    text = stage_config(str(tmp_path / "mkdocs.yml"), settings, plan(build, settings), build.nonce)
    assert "!ENV [NO_SUCH_VARIABLE, 'https://x.org/']" in text
    assert "!!python/name:material.extensions.emoji.twemoji" in text
    assert "- fmkb:" not in text and "- search" in text
    assert f"fmkb.stage:\n    nonce: {build.nonce}" in text and "variant: classic" in text


def test_a_large_vault_shows_each_section_as_its_index(tmp_path):
    yml = YML + "      nav_limit: 3\n"
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=yml)
    assert zensical(tmp_path).returncode == 0
    primary = tree(html(tmp_path / "site-zensical", ".")).css_first("nav.md-nav--primary")
    shown = {a.attributes.get("href") for a in primary.css("a.md-nav__link")}
    assert "./papers/" in shown and not [h for h in shown if h and h.startswith("./papers/training")]
    assert (tmp_path / "site-zensical" / "papers" / "training-compute-optimal-large-language-models").is_dir()


def test_the_line_to_cite_a_note_by_is_published_as_with_mkdocs(tmp_path):
    yml = YML.replace("site_name: tiny", "site_name: tiny\nsite_url: https://example.org/kb/")
    make_vault(tmp_path, {"index.md": "# Home\n\n[[A]]\n", "A.md": "# A\n\ntext\n"}, bib=BIB, mkdocs=yml)
    mkdocs_site, site = both(tmp_path)
    assert differing(mkdocs_site, site) == []
    assert '<p class="fmkb-cite-note">Cite this note: tiny. “A.” <a href="https://example.org/kb/a/">' in html(
        site, "a"
    )


def test_fmkb_scripts_run_on_the_zensical_site(tiny, page):
    """One browser smoke test: fmkb.js draws a note's local graph and previews a linked note on
    Zensical's theme too."""
    from conftest import serve

    url, server = serve(tiny[1])
    try:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "concepts/scaling-laws/")
        page.locator(".fmkb-graph-local svg a.fmkb-graph-node").first.wait_for(state="attached", timeout=5000)
        assert page.locator(".fmkb-graph-local svg a.fmkb-graph-node").count() >= 3
        page.locator("article a.fmkb-link", has_text="their results").hover()
        popover = page.locator(".fmkb-popover")
        popover.wait_for(state="visible", timeout=5000)
        assert popover.locator(".fmkb-popover-title").inner_text() == "Training Compute-Optimal Large Language Models"
        assert errors == []
    finally:
        server.shutdown()


def test_a_note_the_renderer_fails_on_is_a_notice_as_with_mkdocs(tmp_path):
    """'<![x' makes MkDocs' HTML pass raise; the check reports it, and both builds go on."""
    make_vault(tmp_path, {"index.md": "# Home\n\n[[a]]\n", "a.md": "# A\n\ntext <![x]( more\n"}, bib=BIB, mkdocs=YML)
    mkdocs_site, site = both(tmp_path)
    assert "This note is not published" in html(site, "a")
    assert differing(mkdocs_site, site) == []


# --- found by the red team: each reads as with MkDocs -------------------------------------

RED_TEAM: dict[str, str | bytes] = {
    "index.md": "# Home\n\n[[A]] [[B]] [[Graph]] [[Bibliography]] [[tags/index|Tags note]] [[sub/C]]\n",
    "A.md": "# A\n\n[[index]] Footnote[^1] [@kaplan2020scaling].\n\n"
    '## A long heading {data-toc-label="Short"}\n\ntext\n\n'
    '## Another {data-toc-label="<img src=x>"}\n\n'
    '<a title="1>0" href="../b/">to B</a>\n\n'
    "## Mine {#fmkb-backlinks}\n\nuniqueminetext\n\n## Refs {#fmkb-references}\n\nmore\n\n[^1]: the note\n",
    "B.md": "# B\n\n[[A]]\n",
    "sub/C.md": '# C\n\n[[A]] <img alt="a>b" src="../../pic.png">\n',
    "pic.png": b"\x89PNG\r\n\x1a\n",
    "Graph.md": "# My graph note\n\n[[index]]\n",
    "Bibliography.md": "# My bibliography note\n\n[[index]]\n",
    "tags/index.md": "# My tags note\n\n[[index]]\n",
}


@pytest.fixture(scope="module")
def red_team(tmp_path_factory) -> tuple[Path, Path]:
    return vault_both(tmp_path_factory.mktemp("red-team"), RED_TEAM)


def test_the_red_team_vault_reads_the_same_under_both_renderers(red_team):
    site, zsite = red_team
    assert pages(site) == pages(zsite)
    assert differing(site, zsite) == []


def _toc(page: str) -> list[str]:
    doc = tree(page)
    nav = doc.css_first("nav.md-nav--secondary")
    return [a.text(strip=True) for a in nav.css("a")] if nav is not None else []


def test_a_toc_label_is_shown_as_mkdocs_shows_it(red_team):
    site, zsite = red_team
    page = html(zsite, "a")
    assert _toc(page) == _toc(html(site, "a"))
    assert "Short" in _toc(page)
    assert "fmkb-content" not in page and "as-written" not in page and "<img" not in page


def test_a_relative_url_after_an_attribute_holding_a_gt_is_not_moved(red_team):
    site, zsite = red_team
    for url, attribute in (("a", "href"), ("sub/c", "src")):
        urls = [n.attributes.get(attribute) for n in tree(article(html(zsite, url))).css(f"[{attribute}]")]
        assert urls == [n.attributes.get(attribute) for n in tree(article(html(site, url))).css(f"[{attribute}]")]
    assert 'href="../b/">to B' in html(zsite, "a")


def test_a_heading_with_the_id_of_an_fmkb_block_keeps_its_place_and_search_entry(red_team):
    _, zsite = red_team
    items = json.loads((zsite / "search.json").read_text(encoding="utf-8"))["items"]
    mine = [i for i in items if i["location"] == "a/#fmkb-backlinks"]
    assert len(mine) == 1 and "uniqueminetext" in mine[0]["text"]
    page = article(html(zsite, "a"))
    assert page.index("uniqueminetext") < page.index('class="footnote"')


@pytest.mark.parametrize("url, title", [("graph", "My graph note"), ("bibliography", "My bibliography note")])
def test_a_note_at_a_generated_page_url_is_published_there_by_both_renderers(red_team, url, title):
    site, zsite = red_team
    for built in (site, zsite):
        assert f">{title}<" in article(html(built, url))
    assert f">{'My tags note'}<" in article(html(zsite, "tags"))

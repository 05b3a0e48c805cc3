"""The shipped site in a real browser: Debian's headless Chromium driven by Playwright.

The site is built once from the shipped notes, served on 127.0.0.1, and used the
way a reader uses it. No browser is downloaded: Playwright drives /usr/bin/chromium.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

# one worker builds the shipped site once and serves every browser test of this file
pytestmark = pytest.mark.xdist_group("shipped-site")

ROOT = Path(__file__).resolve().parent.parent
CHINCHILLA = "papers/training-compute-optimal-large-language-models/"


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    out = tmp_path_factory.mktemp("site")
    cfg = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(out), strict=True)
    build(cfg)
    return out


@pytest.fixture
def page(browser, request):
    """A fresh tab. Outside the search tests the search index is not fetched: building it in the
    search worker is a second's work per page that those tests do not read."""
    from conftest import local_only

    context = browser.new_context()
    local_only(context)
    if not any(word in request.node.name for word in ("search", "alias")):
        context.route(re.compile(r".*/search/search_index\.json$"), lambda route: route.abort())
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="module")
def site_url(site_dir):
    from conftest import serve

    url, server = serve(site_dir)
    yield url
    server.shutdown()


def test_search_for_an_alias_finds_the_paper_note(page, site_url):
    page.goto(site_url)
    page.wait_for_load_state("networkidle")  # the search worker has fetched its index
    result = page.locator("a.md-search-result__link", has_text="Training Compute-Optimal Large Language Models").first
    box = page.locator("input.md-search__input")
    for _ in range(3):  # type again if the worker was still indexing when the first query came
        page.locator("label.md-search__icon, .md-search__input").first.click()
        box.fill("")
        box.type("Chinchilla", delay=20)
        try:
            result.wait_for(timeout=5000)
            break
        except Exception:
            continue
    result.click()
    page.wait_for_url(re.compile(re.escape(CHINCHILLA)))
    assert page.locator("h1").first.inner_text().startswith("Training Compute-Optimal Large Language Models")


def _results(page, query: str) -> list[str]:
    """The titles of the search results for `query`, in the order shown, on a loaded page."""
    box = page.locator("input.md-search__input")
    items = page.locator("li.md-search-result__item")
    for _ in range(3):  # type again if the worker was still indexing when the first query came
        page.locator("label.md-search__icon, .md-search__input").first.click()
        box.fill("")
        items.first.wait_for(state="detached", timeout=5000)  # the last query's results are gone
        box.type(query, delay=20)
        try:
            items.first.wait_for(timeout=5000)
            break
        except Exception:
            continue
    return page.locator("li.md-search-result__item > a article h1").all_inner_texts()


def test_an_alias_or_bib_key_ranks_its_note_first(page, site_url):
    page.goto(site_url)
    page.wait_for_load_state("networkidle")  # the search worker has fetched its index
    for query, title in [
        ("Chinchilla", "Training Compute-Optimal Large Language Models"),
        ("RLHF", "Reinforcement learning from human feedback"),
        ("hoffmann2022training", "Training Compute-Optimal Large Language Models"),
    ]:
        results = _results(page, query)
        assert results and results[0].strip() == title, (query, results[:5])


def test_wikilink_to_a_heading_lands_on_that_heading(page, site_url):
    page.goto(site_url + "concepts/scaling-laws/")
    link = page.locator("article a", has_text="key results").first
    link.click()
    page.wait_for_url(re.compile(re.escape(CHINCHILLA) + "#"))
    anchor = urlparse(page.url).fragment
    heading = page.locator(f"[id='{anchor}']")
    assert heading.evaluate("el => el.tagName") == "H2"
    assert heading.inner_text().startswith("Key results")
    assert heading.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")


def test_references_section_has_arxiv_links_for_cited_works(page, site_url):
    page.goto(site_url + CHINCHILLA)
    refs = page.locator("ol.fmkb-references > li")
    assert refs.count() >= 2
    arxiv = page.locator("#ref-hoffmann2022training a.fmkb-arxiv")
    assert arxiv.get_attribute("href") == "https://arxiv.org/abs/2203.15556"
    # a citation in the text jumps to its entry
    page.locator("a.fmkb-cite[href='#ref-hoffmann2022training']").first.click()
    assert urlparse(page.url).fragment == "ref-hoffmann2022training"


def test_doi_links_are_well_formed(page, site_url):
    page.goto(site_url + "bibliography/")
    hrefs = page.locator("a.fmkb-doi").evaluate_all("els => els.map(e => e.href)")
    assert hrefs and all(re.fullmatch(r"https://doi\.org/10\.\d{4,9}/\S+", h) for h in hrefs)


def test_backlinks_lead_to_notes_that_link_back(page, site_url):
    page.goto(site_url + CHINCHILLA)
    backlinks = page.locator("ul.fmkb-backlinks a")
    assert backlinks.count() >= 3
    backlinks.first.click()
    page.wait_for_load_state()
    hrefs = page.locator("article a").evaluate_all("els => els.map(e => e.href)")
    assert any(urldefrag(h)[0].endswith(CHINCHILLA) for h in hrefs)


def test_tag_opens_the_tag_listing(page, site_url):
    page.goto(site_url + CHINCHILLA)
    tag = page.locator("a.md-tag", has_text="scaling").first
    tag.click()
    page.wait_for_load_state()
    assert "/tags/" in page.url
    listing = page.locator("article").inner_text()
    assert "Training Compute-Optimal Large Language Models" in listing


def test_papers_table_sorts_by_year(page, site_url):
    page.goto(site_url + "papers/")
    years = lambda: page.locator("table.fmkb-sortable tbody tr td:first-child").all_inner_texts()  # noqa: E731
    assert len(years()) >= 40
    header = page.locator("table.fmkb-sortable th", has_text="Year")
    newest_first = [int(y) for y in years()]  # the default, and the heading says so
    assert newest_first == sorted(newest_first, reverse=True) and header.get_attribute("aria-sort") == "descending"
    assert header.evaluate("h => getComputedStyle(h, '::after').content").strip('"') == " \u25bc"
    header.click()
    ascending = [int(y) for y in years()]
    assert ascending == sorted(ascending) and header.get_attribute("aria-sort") == "ascending"
    header.click()
    descending = [int(y) for y in years()]
    assert descending == sorted(ascending, reverse=True)


def test_every_internal_link_and_anchor_exists(site_dir):
    """Crawl the whole built site from the home page, parsing its HTML as a browser does
    (an HTML5 parser, no browser needed): every internal href and #anchor must exist."""
    from selectolax.lexbor import LexborHTMLParser

    base = "http://site.invalid/"

    def file_of(url: str) -> Path:
        rel = urlparse(url).path.lstrip("/")
        return site_dir / rel / "index.html" if rel.endswith("/") or not rel else site_dir / rel

    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []
    queue, seen = deque([base]), {base}
    while queue:
        url = queue.popleft()
        tree = LexborHTMLParser(file_of(url).read_text(encoding="utf-8"))
        ids[url] = {n.attributes["id"] for n in tree.css("[id]")}
        for node in tree.css("a[href]"):
            absolute = urljoin(url, node.attributes["href"] or "")
            if not absolute.startswith(base):
                continue
            target, _ = urldefrag(absolute)
            links.append((url, absolute))
            if target.endswith("/") and target not in seen:
                seen.add(target)
                queue.append(target)
    assert len(ids) >= 199  # every note, plus generated pages
    broken = []
    for source, absolute in links:
        target, fragment = urldefrag(absolute)
        if target.endswith("/"):
            if target not in ids:
                broken.append((source, absolute, "page"))
            elif fragment and fragment not in ids[target]:
                broken.append((source, absolute, "anchor"))
        elif not file_of(target).is_file():
            broken.append((source, absolute, "file"))
    assert broken == []


def test_no_broken_link_markers_in_the_shipped_site(page, site_url):
    page.goto(site_url + "concepts/scaling-laws/")
    assert page.locator(".fmkb-broken").count() == 0


HOSTILE_BIB = r"""
@article{evil2020a,
  title   = {<img src=x onerror="window.__xss='bib-title'">},
  author  = {"><script>window.__xss='bib-author'</script> and Doe, <svg onload="window.__xss='bib-name'">},
  journal = {</em><script>window.__xss='bib-journal'</script>},
  year    = {2020},
  doi     = {10.1/"><script>window.__xss='doi'</script>},
  url     = {javascript:window.__xss='url'}
}
@misc{evil2021b,
  title  = {"><iframe src="javascript:window.top.__xss='iframe'"></iframe>},
  year   = {2021},
  eprint = {2101.00001"><script>window.__xss='eprint'</script>},
  url    = {https://example.org/"onmouseover="window.__xss='attr'}
}
"""

HOSTILE_NOTE = """---
title: '<img src=x onerror="window.__xss=''title''">'
kind: paper
cite: evil2020a
year: 2020
aliases: ['"><script>window.__xss="alias"</script>']
tags: ['<svg/onload=window.__xss="tag">']
description: '"><script>window.__xss="description"</script>'
---

# Hostile note

Body <script>window.__xss='body'</script> and <img src=x onerror="window.__xss='img'">
and [a link](javascript:window.__xss='link') and [@evil2020a; @evil2021b] and @evil2020a.

See [[Other|<b onmouseover="window.__xss='label'">x</b>]].
"""


EVIL_PAGE = (
    '<article class="md-content__inner"><h1>Hi</h1><p>preview <img src=x onerror="window.__xss=1"></p></article>'
    '<ol class="fmkb-references"><li id="r"><img src=y onerror="window.__xss=2"></li></ol>'
)
PREVIEWS_NOTE = """# Previews

A note may dress its own links as fmkb's: [[evil.txt]]{: .fmkb-link } and
<a class="fmkb-link" href="evil.txt">raw</a> and [c](evil.txt#r){: .fmkb-cite } and [[Hostile]].
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    from conftest import build_site, serve

    notes = {
        "index.md": "# Home\n\n[[Hostile]] [[Other]]\n",
        "Hostile.md": HOSTILE_NOTE,
        "Other.md": "# Other\n\n[[Hostile]] [@evil2021b]\n",
        "Previews.md": PREVIEWS_NOTE,
        "evil.txt": EVIL_PAGE,  # an inert attachment, served as text, that holds HTML
    }
    mkdocs = (
        "site_name: hostile\ndocs_dir: notes\nsite_dir: site\ntheme:\n  name: material\n"
        "plugins:\n  - search\n  - tags\n  - fmkb\n"
    )  # not strict: the checks fail, the output must still be safe
    url, server = serve(build_site(tmp_path_factory.mktemp("hostile"), notes, HOSTILE_BIB, mkdocs))
    yield url
    server.shutdown()


@pytest.mark.parametrize("path", ["", "hostile/", "other/", "bibliography/", "tags/"])
def test_no_script_from_notes_or_bibliography_runs(page, hostile_site, path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    response = page.goto(hostile_site + path)
    assert response is not None and response.ok
    page.wait_for_load_state("load")
    # a handler that only a hover would fire is an on* attribute: none may be on the page
    handlers = page.evaluate(
        "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
    )
    assert handlers == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    # front-matter payloads are shown as text, escaped; script in the body is dropped
    # by the sanitizer while the prose around it stays
    if path == "hostile/":
        text = page.locator("article").inner_text()
        assert 'window.__xss="alias"' in text and "Body" in text and "and a link" in text


def _context(browser, **options):
    from conftest import local_only

    context = browser.new_context(**options)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    local_only(context)
    return context, requested


def test_the_site_follows_a_dark_system_and_the_toggle_switches_back(browser, site_url):
    context, _ = _context(browser, color_scheme="dark")
    page = context.new_page()
    page.goto(site_url + CHINCHILLA)
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    page.wait_for_load_state("load")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'", timeout=5000)
    context.close()


def test_a_light_system_gets_the_light_palette(browser, site_url):
    context, _ = _context(browser, color_scheme="light")
    page = context.new_page()
    page.goto(site_url)
    assert page.locator("body").get_attribute("data-md-color-scheme") == "default"
    context.close()


def test_the_papers_index_shows_authors_and_descriptions(page, site_url):
    page.goto(site_url + "papers/")
    heads = page.locator("table.fmkb-index-paper thead th").all_inner_texts()
    assert [h.strip() for h in heads] == ["Year", "Title", "Authors", "Venue", "Description"]
    row = page.locator("table.fmkb-index-paper tbody tr", has_text="Training Compute-Optimal Large Language Models")
    cells = row.locator("td").all_inner_texts()
    assert cells[2].startswith("Hoffmann") and len(cells[4]) > 20


def test_no_font_is_fetched_from_another_host(browser, site_url):
    context, requested = _context(browser)
    page = context.new_page()
    page.goto(site_url + CHINCHILLA)
    page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith(site_url) for url in requested), [
        u for u in requested if not u.startswith(site_url)
    ]
    context.close()


def test_on_a_phone_the_papers_index_scrolls_instead_of_squeezing_titles(browser, site_url):
    context, _ = _context(browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.goto(site_url + "papers/")
    table = page.locator("table.fmkb-index").first
    widths = table.evaluate(
        "t => ({scroll: t.scrollWidth, client: t.clientWidth,"
        " title: t.querySelector('tbody td:nth-child(2)').getBoundingClientRect().width})"
    )
    assert widths["title"] >= 150, widths  # it was about 50 px, words broken mid-word
    assert widths["scroll"] > widths["client"]  # the rest of the table is a sideways scroll away
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # the page itself does not scroll sideways
    context.close()


def test_the_tags_page_lists_every_tag_with_its_count_linking_to_its_section(page, site_url):
    page.goto(site_url + "tags/")
    items = page.locator("ul.fmkb-tag-counts li")
    assert items.count() >= 10
    counts = [int(c) for c in page.locator("ul.fmkb-tag-counts .fmkb-count").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1
    for href in page.locator("ul.fmkb-tag-counts a").evaluate_all("as => as.map(a => a.getAttribute('href'))"):
        assert page.locator(f"[id='{href[1:]}']").count() == 1, href  # each leads to its section


def test_the_paper_card_copies_its_bibtex(browser, site_url):
    context, _ = _context(browser)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    page = context.new_page()
    page.goto(site_url + CHINCHILLA)
    card = page.locator(".fmkb-paper-card")
    assert "Hoffmann" in card.locator(".fmkb-card-authors").inner_text()
    button = page.locator("button.fmkb-copy")
    button.click()
    page.wait_for_function("document.querySelector('button.fmkb-copy').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert re.match(r"@\w+\{hoffmann2022training,\n", copied) and copied.rstrip().endswith("}")
    context.close()


SCALING = "concepts/scaling-laws/"


def test_formulas_are_typeset_as_mathml_not_shown_as_tex(page, site_url):
    page.goto(site_url + SCALING)
    article = page.locator("article")
    assert article.locator("math").count() >= 4
    display = article.locator("div.arithmatex math").first
    box = display.bounding_box()
    assert box is not None and box["height"] > 20 and box["width"] > 60  # drawn, with a fraction's height
    assert "$$" not in article.inner_text() and "\\frac" not in article.inner_text()


def test_an_obsidian_callout_is_a_titled_admonition(page, site_url):
    page.goto(site_url + SCALING)
    title = page.locator("article .admonition.note .admonition-title")
    assert title.inner_text().strip() == "Fitted constants are not universal"
    assert "[!note]" not in page.locator("article").inner_text()


def test_hovering_a_wikilink_previews_the_linked_note(page, site_url):
    page.goto(site_url + SCALING)
    link = page.locator("article a.fmkb-link", has_text="foundation models").first
    link.hover()
    popover = page.locator(".fmkb-popover")
    popover.wait_for(state="visible", timeout=5000)
    assert popover.locator(".fmkb-popover-title").inner_text() == "Foundation model"
    assert len(popover.locator(".fmkb-popover-description").inner_text()) > 20
    assert len(popover.locator("p").last.inner_text()) > 80  # the note's first paragraph
    assert link.get_attribute("aria-describedby") == "fmkb-popover"
    page.mouse.move(0, 0)
    popover.wait_for(state="detached", timeout=5000)


def test_a_link_to_a_heading_previews_that_section(page, site_url):
    page.goto(site_url + SCALING)
    link = page.locator("article a.fmkb-link[href*='#key-results']").first
    link.hover()
    popover = page.locator(".fmkb-popover")
    popover.wait_for(state="visible", timeout=5000)
    expected = page.evaluate(
        "async href => { const d = new DOMParser().parseFromString(await (await fetch(href)).text(), 'text/html');"
        " let n = d.getElementById('key-results').nextElementSibling;"
        " while (n && !['P', 'UL', 'OL'].includes(n.tagName)) n = n.nextElementSibling;"
        " const first = n.tagName === 'P' ? n : n.firstElementChild; return first.textContent.trim(); }",
        link.get_attribute("href"),
    )
    assert len(expected) > 40 and expected[:60] in popover.inner_text()


def test_keyboard_focus_on_a_citation_previews_its_reference_and_escape_closes_it(page, site_url):
    page.goto(site_url + SCALING)
    cite = page.locator("article a.fmkb-cite").first
    key = cite.get_attribute("href").split("#ref-")[1]
    cite.focus()  # then away and back with the keyboard, as a keyboard user reaches it
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('fmkb-cite')")
    popover = page.locator(".fmkb-popover")
    popover.wait_for(state="visible", timeout=5000)
    reference = page.locator(f"[id='ref-{key}']").inner_text()
    assert popover.inner_text().strip()[:40] == reference.strip()[:40]
    page.keyboard.press("Escape")
    popover.wait_for(state="detached", timeout=5000)


def test_on_a_touch_screen_a_tap_follows_the_link_without_a_preview(browser, site_url):
    context, _ = _context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(site_url + SCALING)
    link = page.locator("article a.fmkb-link", has_text="foundation models").first
    href = urljoin(page.url, link.get_attribute("href"))
    link.tap()
    page.wait_for_url(href, timeout=5000)
    assert page.locator(".fmkb-popover").count() == 0
    context.close()


def test_a_preview_fits_a_phone_screen_and_follows_dark_mode(browser, site_url):
    context, _ = _context(browser, viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    page.goto(site_url + SCALING)
    page.locator("article a.fmkb-link", has_text="foundation models").first.hover()
    popover = page.locator(".fmkb-popover")
    popover.wait_for(state="visible", timeout=5000)
    box = popover.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    rgb = [int(v) for v in re.findall(r"\d+", popover.evaluate("p => getComputedStyle(p).backgroundColor"))[:3]]
    assert sum(rgb) / 3 < 90, rgb  # the dark palette's background, not a white card
    context.close()


def _site_pages(site_dir) -> set[str]:
    return {
        "/" + str(p.relative_to(site_dir).parent).replace("\\", "/").strip(".") for p in site_dir.rglob("index.html")
    }


def test_a_note_shows_its_local_graph_linking_to_its_neighbours(page, site_url, site_dir):
    page.goto(site_url + SCALING)
    graph = page.locator(".fmkb-graph-local svg")
    graph.wait_for(state="attached", timeout=5000)
    nodes = graph.locator("a.fmkb-graph-node")
    assert nodes.count() > 10
    assert nodes.first.get_attribute("aria-current") == "page"
    backlinks = page.locator("#fmkb-backlinks ~ ul a, .fmkb-backlinks a").evaluate_all(
        "as => as.map(a => new URL(a.getAttribute('href'), location.href).pathname)"
    )
    drawn = nodes.evaluate_all("as => as.slice(1).map(a => new URL(a.getAttribute('href'), location.href).pathname)")
    assert set(backlinks) <= set(drawn)  # every note that links here is in the graph
    pages = {p if p.endswith("/") else p + "/" for p in _site_pages(site_dir)}
    assert all(path.replace(urlparse(site_url).path, "/", 1) in pages for path in drawn), drawn
    assert page.locator(".md-sidebar--secondary a[href='#fmkb-graph']").count() == 1  # in the table of contents


def test_the_graph_page_draws_the_most_linked_notes_and_opens_one(page, site_url, site_dir):
    import json

    data = json.loads((site_dir / "graph.json").read_text())
    page.goto(site_url + "graph/")
    nodes = page.locator(".fmkb-graph-global svg a.fmkb-graph-node")
    nodes.first.wait_for(state="attached", timeout=10000)
    assert nodes.count() == len(data["nodes"]) == data["total"]  # the shipped vault is under the limit
    titles = nodes.evaluate_all("as => as.map(a => a.querySelector('title').textContent)")
    top = max(data["nodes"], key=lambda n: n["degree"])
    assert f"{top['title']} ({top['kind']})" in titles
    nodes.nth(titles.index(f"{top['title']} ({top['kind']})")).click()
    page.wait_for_url(urljoin(site_url, top["url"]), timeout=5000)


def test_the_models_index_has_a_timeline_with_every_dated_model(page, site_url):
    page.goto(site_url + "models/")
    points = page.locator("svg.fmkb-timeline g.fmkb-tl-model")
    rows = page.locator("table.fmkb-index-model tbody tr")
    dated = [t for t in rows.evaluate_all("rs => rs.map(r => r.children[2].textContent.trim())") if t]
    assert points.count() == len(dated) > 20
    chart = page.locator("svg.fmkb-timeline").bounding_box()
    article = page.locator("article").bounding_box()
    assert chart["width"] > 0.8 * article["width"]
    titles = points.evaluate_all("gs => gs.map(g => g.querySelector('title').textContent)")
    assert any(t.startswith("GPT-3") and "175B" in t for t in titles)


def test_the_timeline_fits_a_phone(browser, site_url):
    context, _ = _context(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(site_url + "models/")
    chart = page.locator("svg.fmkb-timeline").bounding_box()
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    context.close()


def test_each_note_says_when_it_last_changed(page, site_url):
    page.goto(site_url + CHINCHILLA)
    fact = page.locator(".md-source-file .md-source-file__fact").first.inner_text()
    assert re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", fact), fact


def test_a_preview_never_runs_script_from_the_page_it_reads(page, hostile_site):
    page.goto(hostile_site + "previews/")
    links = page.locator("article a.fmkb-link, article a.fmkb-cite")
    assert links.count() >= 4
    for i in range(links.count()):
        links.nth(i).hover()
        page.wait_for_timeout(600)  # the preview's delay, and its fetch
        links.nth(i).focus()
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.__xss") == "undefined"
        assert page.locator(".fmkb-popover img, .fmkb-popover [onerror]").count() == 0
    # the one real note link still gets its preview
    page.locator("article a.fmkb-link", has_text="Hostile").hover()
    page.locator(".fmkb-popover").wait_for(state="visible", timeout=5000)


@pytest.mark.parametrize("path", [SCALING, CHINCHILLA, "graph/"])
def test_on_a_phone_in_dark_mode_a_page_fits_its_width(browser, site_url, path):
    # formulas, the local graph, the paper card and the Graph page at 390 px, dark palette
    context, _ = _context(browser, viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme="dark")
    page = context.new_page()
    page.goto(site_url + path)
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    page.locator(".fmkb-graph-local svg, .fmkb-graph-global svg").first.wait_for(state="attached", timeout=10000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    for box in page.locator("article svg.fmkb-graph-svg, article div.arithmatex").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect()).map(r => [r.left, r.right])"
    ):
        assert box[0] >= 0 and box[1] <= 390, box
    context.close()

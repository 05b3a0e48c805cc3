"""What is published is what is checked: a corpus of hostile notes and files, built into a
real site and opened in a real browser.

Every payload, if it ran, would set `window.__xss` or open a dialog. Each note must
(1) make `fmkb check --strict` fail, at that note, and (2) run nothing in Chromium,
with no event-handler attribute and no javascript:/data: URL anywhere in the page.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import local_only, serve

X = "window.__xss=1"

# name -> note text. Grouped by the way each once reached a page unchecked.
HOSTILE: dict[str, str] = {
    # front matter that the theme prints or acts on
    "fm-subtitle": f"---\nsubtitle: '<img src=x onerror=\"{X}\">'\n---\n# A\n",
    "fm-status": "---\nstatus: 'x\" onmouseover=\"window.__xss=1'\n---\n# A\n",
    "fm-template": "---\ntemplate: 'main.html'\n---\n# A\n",
    "fm-icon": "---\nicon: '../../../../etc/passwd'\n---\n# A\n",
    "fm-hide": "---\nhide: '<script>window.__xss=1</script>'\n---\n# A\n",
    "fm-search": "---\nsearch: '<script>window.__xss=1</script>'\n---\n# A\n",
    "fm-title": f"---\ntitle: '<img src=x onerror=\"{X}\">'\n---\n# A\n",
    "fm-description": "---\ndescription: '\"><script>window.__xss=1</script>'\n---\n# A\n",
    "fm-tags": "---\ntags: ['<svg/onload=window.__xss=1>']\n---\n# A\n",
    "fm-aliases": "---\naliases: ['<script>window.__xss=1</script>']\n---\n# A\n",
    # raw HTML that an old, private view of the note masked
    "math-inline": f'# A\n\n$<img src=x onerror="{X}">$\n',
    "math-block": f'# A\n\n$$\n<img src=x onerror="{X}">\n$$\n',
    "obsidian-comment-open": f'# A\n\n%% never closed <img src=x onerror="{X}">\n',
    "html-comment-abrupt": f'# A\n\n<!--><img src=x onerror="{X}">-->\n',
    "html-comment-abrupt-dash": f'# A\n\n<!---><img src=x onerror="{X}">-->\n',
    "fence-unclosed": f'# A\n\n```\n<img src=x onerror="{X}">\n',
    "fence-tilde-unclosed": f'# A\n\n~~~~\n<img src=x onerror="{X}">\n~~~\n',
    "indented-in-div": f'# A\n\n<div>\n    <img src=x onerror="{X}">\n</div>\n',
    "backticks-in-attribute": f'# A\n\n<div title="`x`"><img src=x title="`" onerror="{X}"></div>\n',
    "markdown-1": f'<div markdown="1">\n\n*x* <img src=x onerror="{X}">\n\n</div>\n',
    "script-tag": "# A\n\n<script>window.__xss=1</script>\n",
    "script-upper": "# A\n\n<SCRIPT>window.__xss=1</SCRIPT>\n",
    "svg-onload": '# A\n\n<svg onload="window.__xss=1"></svg>\n',
    "svg-animate": '# A\n\n<svg><animate onbegin="window.__xss=1" attributeName=x dur=1s></animate></svg>\n',
    "iframe-srcdoc": '# A\n\n<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>\n',
    "iframe-js": '# A\n\n<iframe src="javascript:parent.__xss=1"></iframe>\n',
    "object-data": '# A\n\n<object data="javascript:window.__xss=1"></object>\n',
    "embed": '# A\n\n<embed src="javascript:window.__xss=1">\n',
    "form-action": '# A\n\n<form action="javascript:window.__xss=1"><button>go</button></form>\n',
    "button-formaction": '# A\n\n<button formaction="javascript:window.__xss=1">x</button>\n',
    "meta-refresh": '# A\n\n<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">\n',
    "base-href": '# A\n\n<base href="javascript:window.__xss=1//">\n',
    "details-ontoggle": '# A\n\n<details open ontoggle="window.__xss=1"><summary>s</summary>x</details>\n',
    "video-onerror": '# A\n\n<video src=x onerror="window.__xss=1"></video>\n',
    "body-onload": '# A\n\n<body onload="window.__xss=1">\n',
    "style-tag": "# A\n\n<style>@import 'javascript:window.__xss=1';</style>\n",
    "style-attr": '# A\n\n<span style="background:url(javascript:window.__xss=1)">s</span>\n',
    "math-mglyph": '# A\n\n<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">\n',
    "noscript-break": '# A\n\n<noscript><p title="</noscript><img src=x onerror=window.__xss=1>"></noscript>\n',
    "a-onfocus": '# A\n\n<a href="#x" id=x tabindex=1 onfocus="window.__xss=1" autofocus>x</a>\n',
    "img-in-table": f'# A\n\n| a |\n|---|\n| <img src=x onerror="{X}"> |\n',
    "in-list": f'# A\n\n- item <img src=x onerror="{X}">\n',
    "in-quote": f'# A\n\n> quoted <img src=x onerror="{X}">\n',
    "in-heading": f'# A\n\n## Title <img src=x onerror="{X}">\n',
    "in-admonition": f'# A\n\n!!! note\n    <img src=x onerror="{X}">\n',
    # URLs that run script
    "link-js": "# A\n\n[x](javascript:window.__xss=1)\n",
    "link-js-upper": "# A\n\n[x](JaVaScRiPt:window.__xss=1)\n",
    "link-js-entity": "# A\n\n[x](&#106;avascript:window.__xss=1)\n",
    "link-js-codespan": "# A\n\n[x](`javascript:window.__xss=1`)\n",
    "link-data": "# A\n\n[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)\n",
    "image-js": "# A\n\n![x](javascript:window.__xss=1)\n",
    "refdef-next-line": "# A\n\n[x][r]\n\n[r]:\n  javascript:window.__xss=1\n",
    "refdef-in-quote": "# A\n\n> [x][r]\n>\n> [r]: javascript:window.__xss=1\n",
    "refdef-title": '# A\n\n[x][r]\n\n[r]: javascript:window.__xss=1 "t"\n',
    "html-a-js": '# A\n\n<a href="javascript:window.__xss=1">x</a>\n',
    "html-a-js-entity": '# A\n\n<a href="jav&#x61;script:window.__xss=1">x</a>\n',
    "html-a-js-space": '# A\n\n<a href=" javascript:window.__xss=1">x</a>\n',
    "html-a-colon-entity": '# A\n\n<a href="javascript&colon;window.__xss=1">x</a>\n',
    "autolink-js": "# A\n\n<javascript:window.__xss=1>\n",
    # attributes through attr_list
    "attr-list-heading": '# A\n\n## Head {: onclick="window.__xss=1" }\n',
    "attr-list-paragraph": '# A\n\nPara\n{: onmouseover="window.__xss=1" }\n',
    "attr-list-image": '# A\n\n![x](x.png){: onerror="window.__xss=1" }\n',
    "attr-list-link-href": '# A\n\n[x](y.md){: href="javascript:window.__xss=1" }\n',
    # fmkb's own output placed inside a tag
}

# Attacks that fmkb defuses by construction, so that nothing of them is published as markup
# and the check has nothing to report: they must still run nothing in the browser.
DEFUSED: dict[str, str] = {
    # a citation inside a raw tag: Python-Markdown then sees no tag at all and escapes it
    "citation-in-attr": "# A\n\n<img src=x alt=[@evil2020a] onerror=window.__xss=1>\n",
    # a bibliography whose author names would break out of an attribute: inside a tag a
    # citation stands for the note's own words, never for the bibliography's
    "citation-author-in-attr": '# A\n\n<img src=x alt="[@evil2020a]">\n',
    # a wiki-link inside a tag stands for its own label with nothing that could end a value,
    # name an attribute or spell a scheme ('=', ':', quotes and spaces go)
    "wikilink-in-unquoted-attr": "# A\n\n<img src=x alt=[[Safe|a onerror=window.__xss=1]]>\n",
    "wikilink-as-attr-name": "# A\n\n<img src=x [[Safe|onerror]]=window.__xss=1>\n",
    "wikilink-in-href": '# A\n\n<a href="[[Safe|javascript:window.__xss=1]]">x</a>\n',
    # a link in a heading keeps its HTML (for the table of contents): inside a raw tag, the
    # tag's attribute ends at the link's first quote and the rest is text
    "heading-link-in-attr": "# A\n\n## <img src=x alt=[[Safe|a onerror=window.__xss=1]]>\n",
    # Python-Markdown escapes a tag without its closing '>' as text
    "tag-unclosed": f'# A\n\n<img src=x onerror="{X}"\n\nnext paragraph\n',
    # a title taken from the first heading: the page's <title> gets it escaped (entities decoded once)
    "title-from-heading": '# &lt;/title&gt;&lt;img src=x onerror="window.__xss=1"&gt;\n\nHello.\n',
    "title-from-heading-code": "# `</title><script>window.__xss=1</script>`\n\nHello.\n",
    # front matter of YAML comments only: empty front matter to fmkb, and what it published too
    "comment-only-front-matter": '---\n# <img src=x onerror="window.__xss=1">\n---\n# Real\n\nbody\n',
    # Python-Markdown turns the tab into spaces, and a scheme cannot hold a space
    "link-js-tab": "# A\n\n[x](<java\tscript:window.__xss=1>)\n",
}

# Files MkDocs would publish as they are, not as notes.
HOSTILE_FILES: dict[str, str] = {
    "one.markdown": f'# M\n\n<img src=x onerror="{X}">\n',
    "two.mdown": f'# M\n\n<img src=x onerror="{X}">\n',
    "three.mkd": f'# M\n\n<img src=x onerror="{X}">\n',
    "four.mkdn": f'# M\n\n<img src=x onerror="{X}">\n',
    "raw.html": "<script>window.__xss=1</script>",
    "raw.htm": "<script>window.__xss=1</script>",
    "raw.xhtml": '<html xmlns="http://www.w3.org/1999/xhtml"><script>window.__xss=1</script></html>',
    "raw.svg": '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1"></svg>',
    "raw.xml": '<x:script xmlns:x="http://www.w3.org/1999/xhtml">window.__xss=1</x:script>',
    "raw.xhtm": '<html xmlns="http://www.w3.org/1999/xhtml"><script>window.__xss=1</script></html>',
    "raw.xpdl": '<r xmlns:h="http://www.w3.org/1999/xhtml"><h:script>window.__xss=1</h:script></r>',
    "raw.atom": '<feed xmlns:h="http://www.w3.org/1999/xhtml"><h:script>window.__xss=1</h:script></feed>',
    "raw.xsd": '<s xmlns:h="http://www.w3.org/1999/xhtml"><h:script>window.__xss=1</h:script></s>',
    "raw.HTML": "<script>window.__xss=1</script>",
    "no-extension": "<script>window.__xss=1</script>",
}
# Names the theme prints in the navigation of every page.
HOSTILE_NAMES = {
    "<img src=x onerror=window.__xss=1>.md": "Hello, no heading.\n",
    "<svg onload=window.__xss=1>/note.md": "# N\n\ntext\n",
}

BIB = """@misc{evil2020a,
  title  = {<img src=x onerror="window.__xss=1">},
  author = {onerror and x onerror=window.__xss=1},
  year   = {2020},
  url    = {javascript:window.__xss=1}
}
"""


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-repo")
    notes = root / "notes"
    (notes / "hostile").mkdir(parents=True)
    (notes / "files").mkdir()
    (notes / ".hidden").mkdir()
    (notes / ".hidden" / "secret.md").write_text(f'# S\n\n<img src=x onerror="{X}">\n')
    os.symlink(notes / ".hidden", notes / "via-link")
    links = " ".join(f"[[{name}]]" for name in {**HOSTILE, **DEFUSED})
    (notes / "index.md").write_text(f"# Home\n\n[[Safe]] {links}\n")
    (notes / "Safe.md").write_text("# Safe\n\n[[index]] [@evil2020a]\n")
    for name, text in {**HOSTILE, **DEFUSED}.items():
        (notes / "hostile" / f"{name}.md").write_text(text)
    for name, text in HOSTILE_FILES.items():
        (notes / "files" / name).write_text(text)
    for name, text in HOSTILE_NAMES.items():
        (notes / name).parent.mkdir(parents=True, exist_ok=True)
        (notes / name).write_text(text)
    (root / "references.bib").write_text(BIB)
    (root / "mkdocs.yml").write_text(
        "site_name: hostile\ndocs_dir: notes\nsite_dir: site\ntheme:\n  name: material\n"
        "markdown_extensions:\n  - admonition\n  - attr_list\n  - pymdownx.superfences\n"
        "plugins:\n  - search\n  - tags\n  - fmkb\n"
    )
    return root


@pytest.fixture(scope="module")
def report(hostile_repo):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "fmkb", "check", "--strict", "--no-cache", "--format", "json"],
        cwd=hostile_repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 1, out.stderr
    return json.loads(out.stdout)["diagnostics"]


@pytest.fixture(scope="module")
def site(hostile_repo):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    build(load_config(str(hostile_repo / "mkdocs.yml")))  # not strict: the output must be safe anyway
    url, server = serve(hostile_repo / "site")
    yield url
    server.shutdown()


def test_the_corpus_is_large_enough():
    assert len(HOSTILE) + len(DEFUSED) >= 60 and len(HOSTILE_FILES) >= 10


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_check_fails_on_every_hostile_note(report, name):
    errors = [d for d in report if d["path"] == f"notes/hostile/{name}.md" and d["severity"] == "error"]
    assert errors, f"fmkb check --strict said nothing about {name}"


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_every_file_the_site_would_publish_unchecked_is_refused(report, hostile_repo, name):
    assert any(d["path"] == f"notes/files/{name}" and d["rule"] == "file-unpublishable" for d in report)


def test_a_link_to_a_hidden_folder_is_refused(report):
    assert any(d["path"].startswith("notes/via-link/") and d["rule"] == "file-unpublishable" for d in report)


def test_refused_files_are_not_in_the_site(site, hostile_repo):
    out = hostile_repo / "site"
    published = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not [p for p in published if p.startswith(("files/", "via-link/"))]
    assert not any("secret" in p for p in published)


# Every element's attributes, URLs read by the browser's own URL parser.
_DANGER = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.startsWith('on') || a.name === 'srcdoc') found.push(el.tagName + ' ' + a.name);
      if (/^(href|src|action|formaction|xlink:href|data|poster|background)$/.test(a.name)) {
        let scheme = '';
        try { scheme = new URL(a.value, document.baseURI).protocol; } catch (e) {}
        const image = el.tagName === 'IMG' && a.value.startsWith('data:image/');  // images run no script
        if (['javascript:', 'vbscript:', 'data:'].includes(scheme) && !image)
          found.push(el.tagName + ' ' + a.name + '=' + a.value);
      }
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def visit(browser):
    """Open pages one after another in one browser tab (a fresh tab each costs most of a
    second); every page load starts from a clean window, so nothing carries over."""
    context = browser.new_context()
    local_only(context)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    def _open(url: str) -> tuple[list[str], list[str], str]:
        dialogs.clear()
        return _visit(tab, url, dialogs)

    yield _open
    context.close()


def _visit(page, url: str, dialogs: list[str]) -> tuple[list[str], list[str], str]:
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.wait_for_load_state("load")
    # no hovering needed: a handler that only a hover would fire is an on* attribute, which
    # the DOM scan reports whether or not anything fired it
    ran = page.evaluate("typeof window.__xss")
    return dialogs, page.evaluate(_DANGER), ran


def _slug(name: str) -> str:
    return re.sub(r"[\s_.-]+", "-", re.sub(r"[^\w\s.-]", "", name.lower())).strip("-")


@pytest.mark.parametrize("name", sorted({**HOSTILE, **DEFUSED}))
def test_no_hostile_note_runs_script_in_a_browser(visit, site, name):
    dialogs, danger, ran = visit(f"{site}hostile/{_slug(name)}/")
    assert (dialogs, danger, ran) == ([], [], "undefined")


@pytest.mark.parametrize("path", ["", "safe/", "bibliography/", "tags/", "hostile/"])
def test_generated_and_linking_pages_run_no_script(visit, site, path):
    dialogs, danger, ran = visit(site + path)
    assert (dialogs, danger, ran) == ([], [], "undefined")


def test_every_hostile_note_was_built(site, hostile_repo):
    out = hostile_repo / "site" / "hostile"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(_slug(n) for n in {**HOSTILE, **DEFUSED})


def test_corpus_sources_are_plain_files():
    # guard against a test that silently skips payloads: every note carries its marker
    for name, text in HOSTILE.items():
        assert "__xss" in text or name in {"fm-template", "fm-icon", "link-data"}, name
    assert Path(__file__).exists()

"""One view of a note: what `fmkb check` judges is what the site publishes.

Random notes mix Markdown constructs (code, math, comments, fences, quotes, lists,
link destinations, attribute lists) with HTML fragments and fmkb's own wiki-links and
citations. They are built with the real MkDocs pipeline twice: once with the
sanitizer switched off, to see what the renderer would emit, and once as published.
Parsed as a browser parses HTML, every script-capable construct in the unsanitized
page must belong to a note that `fmkb check` reported (`html-unsafe` or
`note-too-complex`), and none may survive in the published page.

The examples are fixed (derandomized) so that CI is repeatable; `FMKB_EXPLORE=1` draws new ones.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from conftest import make_vault
from fmkb.cli import main

MARKDOWN = [
    "$",
    "$$",
    "`",
    "``",
    "```\n",
    "~~~\n",
    "%%",
    "<!--",
    "-->",
    "<!-->",
    "\n",
    "\n\n",
    "    ",
    "> ",
    "- ",
    "1. ",
    "# ",
    "## ",
    "[x](",
    ")",
    "[r]: ",
    "[x][r]",
    "{: ",
    "}",
    "**",
    "_",
    "|",
    "---\n",
    "!!! note\n    ",
    "[[Safe]]",
    "[[Safe|a b]]",
    "[@evil2020a]",
    "@evil2020a",
    "![x](",
    "<https://ok.example>",
    "\\",
]
HTML = [
    "<img src=x onerror=alert(1)>",
    "<div>",
    "</div>",
    '<a href="javascript:alert(1)">',
    "</a>",
    "<b onclick=1>",
    "javascript:alert(1)",
    "<script>",
    "</script>",
    "<svg onload=1>",
    '"',
    "'",
    "=",
    "<",
    ">",
    "onerror=",
    " ",
    "x",
    "<img src=x",
    " title=",
    '<span style="background:url(x)">',
    "&#106;",
    "data:text/html,1",
    "<iframe>",
    "<details open ontoggle=1>",
    'markdown="1"',
    "<p id=",
    "</p>",
]
BIB = (
    "@misc{evil2020a,\n  title = {T},\n  author = {x onerror=alert(1)},\n  year = {2020},\n  url = {https://e.org}\n}\n"
)
MKDOCS = (
    "site_name: t\ndocs_dir: notes\nsite_dir: site\ntheme:\n  name: material\n"
    "markdown_extensions:\n  - admonition\n  - attr_list\n  - pymdownx.superfences\n  - pymdownx.arithmatex:\n"
    "      generic: true\nplugins:\n  - fmkb\n"
)

notes_strategy = st.lists(
    st.lists(st.sampled_from(MARKDOWN + HTML), min_size=1, max_size=24).map("".join),
    min_size=20,
    max_size=20,
)


def _script_capable(html: str) -> list[str]:
    """on* handlers, script-like elements and javascript:/data: URLs, as a browser parses them."""
    found = []
    root = LexborHTMLParser(html).root
    for node in root.traverse() if root is not None else []:
        tag = (node.tag or "").lower()
        if tag in {"script", "iframe", "object", "embed", "style", "base", "meta", "form"}:
            found.append(tag)
        for name, value in node.attributes.items():
            low = name.lower()
            plain = "".join((value or "").split()).lower()
            if low.startswith("on") or low == "srcdoc":
                found.append(f"{tag} {name}")
            elif low in {"href", "src", "action", "formaction", "data"} and plain.startswith(
                ("javascript:", "vbscript:", "data:")
            ):
                found.append(f"{tag} {name}={value}")
    return found


def _article(path) -> str:
    html = path.read_text(encoding="utf-8")
    start, end = html.find("<article"), html.rfind("</article>")
    return html[start:end] if start != -1 else html


def _build(root, monkeypatch, sanitize: bool):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    import fmkb.sanitize

    with monkeypatch.context() as m:
        if not sanitize:
            m.setattr(fmkb.sanitize.Policy, "clean", lambda self, html: html)
        build(load_config(str(root / "mkdocs.yml")))


@settings(
    max_examples=6,
    deadline=None,
    derandomize=not os.environ.get("FMKB_EXPLORE"),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(bodies=notes_strategy)
def test_the_check_reports_every_script_capable_construct_the_renderer_emits(tmp_path_factory, monkeypatch, bodies):
    root = tmp_path_factory.mktemp("oneview")
    notes = {"index.md": "# Home\n\n" + " ".join(f"[[n{i}]]" for i in range(len(bodies))) + "\n"}
    notes["Safe.md"] = "# Safe\n\n[[index]]\n"
    notes.update({f"n{i}.md": f"# N{i}\n\n{body}\n" for i, body in enumerate(bodies)})
    make_vault(root, {k: v for k, v in notes.items()}, bib=BIB, mkdocs=MKDOCS)
    stdout = io.StringIO()
    with monkeypatch.context() as m, contextlib.redirect_stdout(stdout):  # `fmkb check`, in this process
        m.chdir(root)
        code = main(["check", "--no-cache", "--format", "json"])
    assert code in (0, 1)
    reported = {
        d["path"]
        for d in json.loads(stdout.getvalue())["diagnostics"]
        if d["rule"] in ("html-unsafe", "note-too-complex")
    }
    _build(root, monkeypatch, sanitize=False)
    for i in range(len(bodies)):
        page = root / "site" / f"n{i}" / "index.html"
        danger = _script_capable(_article(page))
        if danger:
            assert f"notes/n{i}.md" in reported, (bodies[i], danger)
    _build(root, monkeypatch, sanitize=True)
    for i in range(len(bodies)):
        assert _script_capable(_article(root / "site" / f"n{i}" / "index.html")) == [], bodies[i]

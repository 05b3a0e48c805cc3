"""The scanner's masking agrees with the renderer: a wiki-link is live in `fmkb check`
exactly when the site's Markdown (with arithmatex for math) leaves it outside code and math.

Random texts mix dollars, backticks, escapes, quotes, list markers and blank lines; each is
rendered with Python-Markdown as the shipped site configures it, and the `[[a]]` left in
the page's text (code and math removed, parsed as a browser parses HTML) is counted.
"""

from __future__ import annotations

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from fmkb.scan import scan

TOKENS = ["$", "$$", "\\", "x", " ", "\n", "\n\n", " [[a]]", "`", "``", "\\$", "5", "> ", "- ", "  "]
ARITHMATEX = {"generic": True, "inline_syntax": ["dollar"], "block_syntax": ["dollar"]}


def live_in_page(text: str) -> int:
    md = markdown.Markdown(extensions=["pymdownx.arithmatex"], extension_configs={"pymdownx.arithmatex": ARITHMATEX})
    tree = LexborHTMLParser("<body>" + md.convert(text) + "</body>")
    for node in tree.css("code, .arithmatex"):
        node.decompose()
    return tree.body.text(deep=True).count("[[a]]") if tree.body else 0


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=16).map("".join))
def test_a_wikilink_is_live_in_the_check_exactly_when_it_is_live_on_the_page(text):
    assert len(scan(text, math=True).links) == live_in_page(text), text


def test_dollar_math_hides_a_link_as_the_page_does():
    text = "a $x [[a]]$ b"
    assert live_in_page(text) == 0
    assert scan(text, math=True).links == []
    assert len(scan(text, math=False).links) == 1  # a site without arithmatex shows the link

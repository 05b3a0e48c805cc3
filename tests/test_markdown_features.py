"""Obsidian-flavoured Markdown on the site: math as MathML, callouts as admonitions, and
the sanitizer keeping what they produce (and nothing a formula could smuggle in)."""

from __future__ import annotations

import markdown
import pytest
from selectolax.lexbor import LexborHTMLParser

from fmkb.sanitize import Policy, unsafe_parts

EXTENSIONS = ["pymdownx.arithmatex", "fmkb.mathml", "fmkb.callouts", "pymdownx.details"]
CONFIGS = {"pymdownx.arithmatex": {"generic": True, "inline_syntax": ["dollar"], "block_syntax": ["dollar"]}}


def render(text: str) -> str:
    return markdown.Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS).convert(text)


def tree(html: str):
    return LexborHTMLParser("<body>" + html + "</body>")


def test_inline_math_becomes_inline_mathml():
    math = tree(render("a $x^2$ b")).css_first("span.arithmatex math")
    assert math is not None and math.attributes["display"] == "inline"
    assert math.css_first("msup") is not None


def test_display_math_becomes_block_mathml_with_its_tex_as_alttext():
    math = tree(render("$$\n\\frac{a}{b} < c\n$$")).css_first("div.arithmatex math")
    assert math.attributes["display"] == "block"
    assert math.attributes["alttext"] == "\\frac{a}{b} < c"
    assert math.css_first("mfrac") is not None


def test_unreadable_tex_stays_visible_and_is_logged(caplog):
    html = render("bad $x^$ here")
    span = tree(html).css_first("span.fmkb-math-error")
    assert span is not None and "x^" in span.text()
    assert any("could not be typeset" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("tex", ["\\href{javascript:alert(1)}{x}", "\\style{color:red}{x}", "\\class{fmkb-cite}{x}"])
def test_a_formula_cannot_set_links_styles_or_classes(tex):
    html = render(f"${tex}$")
    for node in tree(html).css("math, math *"):
        assert not {"href", "style", "class"} & set(node.attributes), node.html


def test_published_math_passes_the_sanitizer_unchanged():
    html = render("$\\sum_{i=1}^{n} \\sqrt{x_i} \\begin{matrix}a&b\\end{matrix}$\n\n$$\n\\mathbb{R}^{d}\n$$")
    policy = Policy.allowing(frozenset(), ("fmkb.mathml",))
    assert unsafe_parts(html, policy) == []
    assert policy.clean(html).count("<math") == 2


def test_a_callout_becomes_an_admonition_titled_as_written():
    box = tree(render("> [!tip] Mind the *data*\n> Body text.")).css_first("div.admonition.tip")
    assert box.css_first("p.admonition-title").text() == "Mind the data"
    assert box.css_first("em").text() == "data"
    assert "Body text." in box.text()


def test_a_callout_without_a_title_is_titled_by_its_type():
    assert tree(render("> [!WARNING]\n> x")).css_first("div.admonition.warning p.admonition-title").text() == "Warning"


def test_obsidian_aliases_take_materials_styles():
    assert tree(render("> [!faq] Q\n> x")).css_first("div.admonition.question.faq") is not None
    assert tree(render("> [!unknown] Q\n> x")).css_first("div.admonition.note.unknown") is not None


def test_a_folding_callout_is_a_details_element_open_with_plus():
    closed = tree(render("> [!note]- Folded\n> x")).css_first("details.note")
    opened = tree(render("> [!note]+ Open\n> x")).css_first("details.note")
    assert closed.css_first("summary").text() == "Folded" and "open" not in closed.attributes
    assert "open" in opened.attributes


def test_quotes_separated_by_a_blank_line_are_separate_callouts():
    html = render("> plain\n\n> [!tip] A\n> a\n\n> [!bug] B\n> b")
    body = tree(html).body
    kinds = [node.tag + "." + (node.attributes.get("class") or "") for node in body.iter()]
    assert kinds == ["blockquote.", "div.admonition tip", "div.admonition bug"]


def test_a_callout_nested_in_a_callout():
    inner = tree(render("> [!tip] Outer\n> > [!bug] Inner\n> > x")).css_first("div.tip div.bug")
    assert inner is not None and inner.css_first("p.admonition-title").text() == "Inner"


def test_an_ordinary_quote_stays_a_quote():
    html = render("> Just [a] quote\n> [!not at the start]")
    assert tree(html).css_first("blockquote") is not None and "admonition" not in html


def test_a_formula_cannot_draw_a_box_larger_than_the_page():
    html = render("$\\rule{100000em}{100000em}$ and $\\kern{3em} x$")
    spaces = tree(html).css("mspace")
    assert "width" not in spaces[0].attributes and "height" not in spaces[0].attributes
    assert spaces[1].attributes["width"] == "3em"


def test_math_past_a_pages_share_is_shown_as_tex(caplog):
    from fmkb.mathml import PAGE_TEX

    formula = "x+" * 900 + "y"  # 1,801 characters of TeX each
    count = PAGE_TEX // len(formula) + 2
    html = render("\n\n".join(f"${formula}$" for _ in range(count)))
    assert len(tree(html).css("math")) == PAGE_TEX // len(formula)
    assert len(tree(html).css(".fmkb-math-error")) == 2
    assert any("share of math" in r.getMessage() for r in caplog.records)


def test_a_note_with_thousands_of_raw_html_tags_is_too_complex_to_publish(tmp_path):
    from conftest import check_vault, make_vault

    make_vault(tmp_path, {"index.md": "# Divs\n\n" + "<div>\n\n" * 3000 + "x\n"})
    found = [d for d in check_vault(tmp_path).report.diagnostics if d.rule == "note-too-complex"]
    assert found and "raw HTML tags" in found[0].message

"""Rendering for the site: citations in author-year style, escaping, anchors, links."""

from __future__ import annotations

import pytest

from fmkb.bibliography import parse_bibliography
from fmkb.config import MarkdownSetup
from fmkb.load import load_note
from fmkb.publish import HeadingIds
from fmkb.render import (
    BibView,
    PageContext,
    decode_latex,
    reference_html,
    render_body,
    render_citation,
    split_authors,
)
from fmkb.resolve import build_index
from fmkb.scan import scan

BIB = r"""
@misc{kaplan2020scaling, title={Scaling Laws}, author={Kaplan, Jared and McCandlish, Sam and others}, year={2020},
  eprint={2001.08361}}
@article{solo2019, title={On {BERT}}, author={G{\"o}del, Kurt}, journal={J}, year={2019}, doi={10.1/x(y)}}
@misc{pair2021, title={T}, author={Alpha, Ann and Beta, Bob}, year={2021}, url={https://example.org}}
@misc{touvron2023llama, title={{LLaMA}: Open}, author={Touvron, Hugo and Lavril, T and Izacard, G},
  year={2023}, url={x}}
@misc{touvron2023llama2, title={Llama 2: Open}, author={Touvron, Hugo and Martin, L and Stone, K},
  year={2023}, url={x}}
@misc{evil2020, title={<img src=x onerror=alert(1)>}, author={{"><script>alert(1)</script>}}, year={2020},
  url={javascript:alert(1)}}
"""


def view() -> BibView:
    v = BibView(parse_bibliography(BIB, "references.bib"))
    v.assign_years(v.bib.entries)
    return v


def cite_html(text: str) -> str:
    (c,) = scan(text).citations
    return render_citation(c, view())


def test_latex_is_decoded_and_braces_dropped():
    assert decode_latex(r"G{\"o}del and {BERT}") == "Gödel and BERT"


def test_authors_split_on_and_outside_braces():
    assert split_authors("{Barnes and Noble} and Doe, J.") == ["{Barnes and Noble}", "Doe, J."]


def test_parenthetical_citation_author_year():
    html = cite_html("[@kaplan2020scaling]")
    assert html == '(<a class="fmkb-cite" href="#ref-kaplan2020scaling">Kaplan et al., 2020</a>)'


def test_locator_and_prefix_are_kept():
    html = cite_html("[see @solo2019, p. 33]")
    assert html == '(see <a class="fmkb-cite" href="#ref-solo2019">Gödel, 2019</a>, p. 33)'


def test_two_authors_and_groups():
    html = cite_html("[@pair2021; @solo2019]")
    assert "Alpha and Beta, 2021</a>; <a" in html


def test_in_text_citation():
    assert cite_html("@kaplan2020scaling [p. 4] says").endswith(">Kaplan et al. (2020, p. 4)</a>")


def test_suppress_author_shows_year_only():
    assert cite_html("Kaplan [-@kaplan2020scaling]") == '(<a class="fmkb-cite" href="#ref-kaplan2020scaling">2020</a>)'


def test_same_label_and_year_get_letters():
    v = view()
    assert (v.year("touvron2023llama2"), v.year("touvron2023llama")) == ("2023a", "2023b")


def test_unknown_key_is_visibly_broken_with_reason():
    html = cite_html("[@nope2020x]")
    assert 'class="fmkb-broken"' in html and "unknown citation key: nope2020x" in html


def test_in_text_handle_is_left_alone():
    (c,) = scan("by @Name").citations
    assert render_citation(c, view()) is None


def test_reference_has_doi_and_arxiv_links():
    v = view()
    assert 'href="https://doi.org/10.1/x(y)"' in reference_html(v, "solo2019")
    assert 'href="https://arxiv.org/abs/2001.08361"' in reference_html(v, "kaplan2020scaling")


def test_bib_fields_are_html_escaped_and_unsafe_urls_dropped():
    html = reference_html(view(), "evil2020")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html


def _toc_ids(markdown: str) -> list[str]:
    """The ids the toc extension itself gives a document's headings (the reference)."""
    md = MarkdownSetup().renderer()
    md.convert(markdown)
    out, stack = [], list(reversed(md.toc_tokens))
    while stack:
        t = stack.pop()
        out.append(t["id"])
        stack.extend(reversed(t["children"]))
    return out


@pytest.mark.parametrize(
    "text",
    [
        "## Key results\n\n## Key *results*\n\n## Über alles",
        "## Table_2\n\ntext\n\n## Table 2",
        "## Results {#res}\n\n## Results",
        "Setext\n======\n\n## Setext\n\n# `code` & <b>bold</b>",
    ],
)
def test_heading_ids_are_the_toc_extensions_own(text):
    note, _ = load_note("a.md", text.encode())
    assert HeadingIds(MarkdownSetup())(note) == _toc_ids(text)


def test_a_heading_with_an_attr_list_id_is_found_by_its_text():
    a, _ = load_note("a.md", b"[[B#Results]]")
    b, _ = load_note("B.md", b"# B\n\n## Results {#res}\n")
    body, _ = render_body(a, a.text, _ctx([a, b]), view())
    assert 'href="../B/#res"' in body


def _ctx(notes):
    ix = build_index(notes)
    return PageContext(ix, HeadingIds(MarkdownSetup()), lambda path: "../" + path[:-3] + "/")


def test_wikilink_renders_as_a_link_to_the_page_url_with_heading_anchor():
    a, _ = load_note("concepts/a.md", b"See [[Target#Key results|the <results>]].")
    t, _ = load_note("papers/Target.md", b"# Target\n\n## Key results\n")
    body, _ = render_body(a, a.text[a.body_start :], _ctx([a, t]), view())
    assert body == 'See <a class="fmkb-link" href="../papers/Target/#key-results">the &lt;results&gt;</a>.'


def test_broken_wikilink_is_a_styled_span_with_reason():
    a, _ = load_note("a.md", b"See [[Nope]].")
    body, _ = render_body(a, a.text, _ctx([a]), view())
    assert 'class="fmkb-broken"' in body and "unresolved wiki-link [[Nope]]" in body


def test_image_embed_with_size():
    a, _ = load_note("notes/a.md", b"![[fig.png|300]]")
    ix = build_index([a], {"assets/fig.png"})
    body, _ = render_body(a, a.text, PageContext(ix, HeadingIds(MarkdownSetup()), lambda p: p), view())
    assert body == '![fig.png](../assets/fig.png){: width="300" }'


def test_note_embed_is_a_marked_excerpt():
    a, _ = load_note("a.md", b"![[B]]")
    b, _ = load_note("B.md", b"# B\n\nFirst paragraph with [[a|a link]] and <b>html</b>.\n")
    body, _ = render_body(a, a.text, _ctx([a, b]), view())
    assert body.startswith('<div class="fmkb-embed">') and "Excerpt from" in body
    assert "First paragraph with a link and &lt;b&gt;html&lt;/b&gt;." in body


def test_block_id_becomes_an_anchor():
    a, _ = load_note("a.md", b"A claim. ^key\n")
    body, _ = render_body(a, a.text, _ctx([a]), view())
    assert body == 'A claim. <span id="block-key"></span>\n'


def test_cited_keys_are_returned_in_order():
    a, _ = load_note("a.md", b"[@solo2019] then @kaplan2020scaling and [@nope2020x]")
    _, cited = render_body(a, a.text, _ctx([a]), view())
    assert cited == ["solo2019", "kaplan2020scaling"]


@pytest.mark.parametrize(
    "author,label,full",
    [
        ("van den Oord, Aaron and Li, Yazhe", "van den Oord and Li", "Aaron van den Oord"),
        ("Aaron van den Oord and\n  Yazhe Li and others", "van den Oord et al.", "Aaron van den Oord"),
        ("{{Google DeepMind}}", "Google DeepMind", "Google DeepMind"),
        ("{DeepSeek-AI} and Liu, Aixin", "DeepSeek-AI and Liu", "DeepSeek-AI"),
        ("Kaiser, {\\L}ukasz", "Kaiser", "Łukasz Kaiser"),
        ("King, Jr., Martin Luther", "King", "Martin Luther King, Jr."),
    ],
)
def test_author_labels_and_names_follow_bibtex_name_rules(author, label, full):
    bib = parse_bibliography(f"@misc{{k2020x, title={{T}}, author={{{author}}}, year={{2020}}, url={{u}}}}", "r.bib")
    v = BibView(bib)
    assert v.label("k2020x") == label
    assert v.authors("k2020x")[0][0].full == full

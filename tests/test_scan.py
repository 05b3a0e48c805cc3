"""The scanner: which text is a wiki-link or a citation, and where it is."""

from __future__ import annotations

import pytest

from fmkb.scan import looks_like_key, scan


def links(text: str):
    return scan(text).links


def cites(text: str):
    return [
        (i.key, i.prefix, i.suffix, i.suppress_author, c.in_text, i.line, i.column)
        for c in scan(text).citations
        for i in c.items
    ]


# --- wiki-link syntax -------------------------------------------------------


def test_plain_wikilink_has_target_and_position():
    (link,) = links("intro\nsee [[Scaling laws]] here")
    assert (link.target, link.line, link.column, link.label, link.embed) == ("Scaling laws", 2, 5, None, False)


def test_label_after_pipe():
    (link,) = links("[[Scaling laws|the laws]]")
    assert (link.target, link.label) == ("Scaling laws", "the laws")


def test_heading_and_nested_heading_paths():
    a, b = links("[[Note#Results]] [[Note#Results#Table 2]]")
    assert a.headings == ("Results",)
    assert b.headings == ("Results", "Table 2")


def test_block_reference():
    (link,) = links("[[Note#^key-claim]]")
    assert (link.target, link.block, link.headings) == ("Note", "key-claim", ())


def test_same_note_heading_link_has_empty_target():
    (link,) = links("[[#Key results]]")
    assert (link.target, link.headings) == ("", ("Key results",))


def test_embed_with_size_is_not_a_label():
    (link,) = links("![[figure.png|300]]")
    assert (link.embed, link.size, link.label) == (True, "300", None)


def test_embed_with_width_and_height():
    (link,) = links("![[figure.png|640x480]]")
    assert link.size == "640x480"


def test_escaped_pipe_inside_table_separates_label():
    (link,) = links("| a | [[Scaling laws\\|laws]] |")
    assert (link.target, link.label) == ("Scaling laws", "laws")


def test_unclosed_wikilink_is_not_a_link():
    assert links("see [[Scaling laws and more") == []


# --- regions that hold no links -------------------------------------------


def test_fenced_code_hides_links_and_citations():
    text = "```\n[[Hidden]] [@hidden2020x]\n```\n[[Shown]]"
    assert [link.target for link in links(text)] == ["Shown"]
    assert cites(text) == []


def test_a_fence_closes_only_with_the_same_fence():
    # the fenced-code extensions (unlike CommonMark) need the opening fence again: a longer
    # one does not close it, and with no closer the "fence" is text
    assert [link.target for link in links("~~~python\n[[A]]\n~~~~\n[[B]]")] == ["A", "B"]
    assert [link.target for link in links("~~~python\n[[Hidden]]\n~~~\n[[Shown]]")] == ["Shown"]


def test_an_unclosed_fence_is_text_as_the_renderer_shows_it():
    assert [x.target for x in links("```\n[[Shown]]\n\n[[Also shown]]")] == ["Shown", "Also shown"]


def test_a_fence_closed_later_still_hides_its_content():
    assert [x.target for x in links("````\n[[Hidden]]\n```\n[[Still hidden]]\n````\n[[Shown]]")] == ["Shown"]


def test_indented_code_block_hides_links():
    assert links("para\n\n    [[Hidden]]\n\n[[Shown]]")[0].target == "Shown"
    assert len(links("para\n\n    [[Hidden]]\n\n[[Shown]]")) == 1


def test_indented_list_continuation_is_not_code():
    text = "- item\n\n    [[Inside list]]\n"
    assert [link.target for link in links(text)] == ["Inside list"]


def test_inline_code_hides_links():
    assert [link.target for link in links("`[[Hidden]]` and [[Shown]]")] == ["Shown"]


def test_double_backtick_code_span():
    assert [link.target for link in links("``a ` [[Hidden]]`` [[Shown]]")] == ["Shown"]


def test_inline_and_display_math_hide_citations():
    assert cites("$x@y$ and\n\n$$\n@kaplan2020scaling\n$$") == []


def test_double_dollars_inside_a_paragraph_are_not_display_math():
    # arithmatex takes `$$...$$` as display math only when it is a whole block
    assert [c[0] for c in cites("see $$\n@kaplan2020scaling\n$$")] == ["kaplan2020scaling"]


def test_display_math_in_a_quote_or_list_item_hides_links():
    assert links("> $$\n> [[Hidden]]\n> $$") == []
    assert links("- $$[[Hidden]]$$") == []


def test_a_dollar_after_escaped_backslashes_opens_math():
    # `\\\\` is a literal backslash: the `$` after it is not escaped
    assert links("\\\\$[[Hidden]]$") == []
    assert [link.target for link in links("\\$[[Shown]]$")] == ["Shown"]


def test_a_code_span_may_open_inside_a_longer_backtick_run():
    # Python-Markdown tries the run's second backtick when the run of two has no closer
    assert links("``x [[Hidden]]`") == []


def test_a_code_span_inside_dollars_is_not_math():
    assert [link.target for link in links("$a `b$` [[Shown]]$")] == ["Shown"]


def test_an_unclosed_html_comment_is_text():
    assert [link.target for link in links("<!-- [[Shown]]")] == ["Shown"]


def test_an_inline_html_comment_ends_in_its_paragraph():
    assert [link.target for link in links("x <!-- a\n\n[[Shown]] -->")] == ["Shown"]
    assert links("<!-- a\n\n[[Hidden]] -->") == []  # one that starts a line is a block


def test_dollar_amounts_are_not_math():
    # "$5 and $6": a closing $ preceded by a space is not math, so the link survives
    assert [link.target for link in links("costs $5 and [[Shown]] $6 more")] == ["Shown"]


def test_html_and_obsidian_comments_hide_links():
    text = "<!-- [[A]] -->%% [[B]] %%[[C]]"
    assert [link.target for link in links(text)] == ["C"]


def test_front_matter_lines_are_not_scanned_as_body():
    text = "---\ntitle: '[[X]]'\n---\n[[Y]]"
    assert [link.target for link in scan(text, body_line=3).links] == ["Y"]


# --- headings and block ids ------------------------------------------------


def test_atx_and_setext_headings_with_lines():
    found = scan("# Title\n\nSub\n---\n\n## Results ##\n").headings
    assert [(h.text, h.level, h.line) for h in found] == [("Title", 1, 1), ("Sub", 2, 3), ("Results", 2, 6)]


def test_heading_inside_code_is_not_a_heading():
    assert scan("```\n# not a heading\n```\n").headings == []


def test_hash_tag_is_not_a_heading():
    assert scan("#tag text\n").headings == []


def test_block_ids_at_line_end():
    text = "A claim. ^claim-1\n\n^table\n"
    ids = scan(text).block_ids
    assert set(ids) == {"claim-1", "table"}
    assert text[ids["claim-1"] :].startswith("^claim-1") and text[ids["table"] :].startswith("^table")


# --- citations --------------------------------------------------------------


def test_bracketed_citation():
    assert cites("as shown [@kaplan2020scaling].") == [("kaplan2020scaling", "", "", False, False, 1, 11)]


def test_locator_is_kept():
    assert cites("[@kaplan2020scaling, p. 33]")[0][2] == "p. 33"


def test_group_with_prefix_locator_and_second_key():
    got = cites("[see @a2020x, ch. 2; @b2021y]")
    assert [(k, p, s) for k, p, s, *_ in got] == [("a2020x", "see", "ch. 2"), ("b2021y", "", "")]
    assert [c for *_, c in got] == [6, 22]


def test_suppressed_author():
    assert cites("Kaplan [-@kaplan2020scaling]")[0][3] is True


def test_in_text_citation_with_locator():
    assert cites("@kaplan2020scaling [p. 4] says")[0][:5] == ("kaplan2020scaling", "", "p. 4", False, True)


def test_key_with_internal_punctuation_and_trailing_period():
    assert cites("[@doe:2020.a-b] and @smith2020x.")[0][0] == "doe:2020.a-b"
    assert cites("[@doe:2020.a-b] and @smith2020x.")[1][0] == "smith2020x"


def test_braced_key():
    assert cites("[@{weird key 2020}]")[0][0] == "weird key 2020"


def test_email_is_not_a_citation():
    assert cites("write to amy@example.com") == []


def test_escaped_at_is_not_a_citation():
    assert cites(r"\@kaplan2020scaling") == []


def test_at_in_url_is_not_a_citation():
    assert cites("see https://example.org/@kaplan2020scaling and <https://x.org/@a2020b>") == []


def test_markdown_link_text_is_not_a_bracketed_citation():
    got = cites("[by Amy @Name](https://example.org)")
    assert [(k, in_text) for k, _, _, _, in_text, _, _ in got] == [("Name", True)]


def test_inline_code_hides_citations():
    assert cites("`@kaplan2020scaling`") == []


def test_citation_inside_wikilink_label_is_not_counted():
    assert cites("[[Note|see @kaplan2020scaling]]") == []


def test_in_text_rule_key_like_words():
    assert looks_like_key("kaplan2020scaling")
    assert not looks_like_key("Name")
    assert not looks_like_key("home")


def test_citation_spanning_lines_reports_item_lines():
    got = cites("text [@a2020x;\n@b2021y]")
    assert [(k, line, col) for k, *_, line, col in got] == [("a2020x", 1, 7), ("b2021y", 2, 1)]


def test_the_scanner_uses_arithmatexs_math_branch_without_its_look_behind():
    from pymdownx.arithmatex import RE_SMART_DOLLAR_INLINE

    from fmkb.scan import _MATH_AFTER_ESCAPES

    assert "(?<!\\\\)" + _MATH_AFTER_ESCAPES.pattern in RE_SMART_DOLLAR_INLINE


def test_brackets_straddling_math_are_not_a_link():
    assert links("[[$[$$]]") == []


@pytest.mark.parametrize(
    "text",
    [
        "- item `x\n- [[Shown]] y`",
        "- item $x\n- [[Shown]] y$",
        "# H `x\n[[Shown]] y`",
        "Setext `x\n---\n[[Shown]] y`",
        "> a `x\n>\n> [[Shown]] y`",
        "- a <!-- x\n- [[Shown]] y -->",
        "| a `x | b |\n|---|---|\n| [[Shown]] y` | c |",
        "[^1]: foot `x\n[^2]: [[Shown]] y`",
        "> [!note] Title `x\n> [[Shown]] y`",
    ],
)
def test_code_math_and_comments_end_where_their_block_ends(text):
    # a list item, heading, quote break, table row, footnote or callout title is a block of
    # its own: Python-Markdown's inline patterns do not reach across it
    assert [link.target for link in links(text)] == ["Shown"]


def test_indented_code_may_follow_a_heading_or_a_rule_directly():
    assert links("# Head\n    [[Hidden]]") == []
    assert links("para\n\n---\n    [[Hidden]]") == []
    assert [x.target for x in links("para\n    [[Shown]]")] == ["Shown"]  # a paragraph's continuation


def test_an_obsidian_comment_inside_a_formula_leaves_it_a_formula():
    assert links("$[[Hidden]]%%c%%$") == []


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("para `a\n+ b [[Hidden]]`", []),  # no list starts inside a paragraph
        ("a\nb `x\n--\n[[Hidden]]`", []),  # an underline under a paragraph's second line
        ("para `a\n> [[Shown]]`", ["Shown"]),  # a quote does start inside one
        ("para `a\n#hashtag [[Shown]]`", ["Shown"]),  # as does a heading, without a space
        ("para `a\n***\n[[Shown]]`", ["Shown"]),
        ("para `a\n!!! note\n    text [[Shown]]`", ["Shown"]),
        ("para `a\n[x]: http://e.com\n[[Shown]]`", ["Shown"]),
        ("intro `x\n| a | [[Hidden]]` |\n|---|---|", []),  # a table must start its block
    ],
)
def test_blocks_start_where_python_markdown_starts_them(text, shown):
    assert [link.target for link in links(text)] == shown


@pytest.mark.parametrize(
    "text", ["!!! note\n\n    [[Shown]]", '??? note "T"\n    first\n\n    [[Shown]]', "[^1]: a\n\n    [[Shown]]"]
)
def test_an_admonitions_or_footnotes_indented_body_is_not_code(text):
    assert [link.target for link in links(text)] == ["Shown"]

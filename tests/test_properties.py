"""Property-based tests: the scanners and parsers never raise, and their positions are real."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmkb.bibliography import parse_bibliography
from fmkb.load import load_note
from fmkb.scan import scan

# Text biased towards the characters the scanners care about.
ALPHABET = st.sampled_from(
    list("[]!@#|^\\`$%<>-{};:,.~ \n\tabcxyz019")
    + ["[[", "]]", "```", "$$", "%%", "<!--", "-->", "@kaplan2020scaling", "\n---\n", "    "]
)
MARKDOWNISH = st.lists(ALPHABET, max_size=200).map("".join)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(MARKDOWNISH)
def test_scan_never_raises_and_positions_point_into_the_text(text):
    result = scan(text)
    lines = text.split("\n")
    for link in result.links:
        assert 1 <= link.line <= len(lines)
        assert text[link.start : link.end] == link.raw
        assert lines[link.line - 1][link.column - 1] in "[!"
    for c in result.citations:
        for item in c.items:
            assert lines[item.line - 1][item.column - 1] == "@"


@FAST
@given(st.text(max_size=300))
def test_scan_never_raises_on_any_unicode(text):
    scan(text)


@FAST
@given(st.binary(max_size=300))
def test_load_note_never_raises_on_any_bytes(raw):
    note, diags = load_note("x.md", b"---\n" + raw)
    for d in diags:
        assert d.line >= 1 and d.column >= 1


@FAST
@given(
    st.lists(
        st.sampled_from(
            [
                "@misc{",
                "@article{k2020,",
                "@string{",
                "title = {",
                "}",
                "{",
                '"',
                ",",
                " # ",
                "year = 2020",
                "\n",
                "eprint = {2001.08361}",
                "doi = {10.1/x}",
                "a",
                "@comment{",
            ]
        ),
        max_size=60,
    ).map("".join)
)
def test_bibliography_checks_never_raise(text):
    bib = parse_bibliography(text, "r.bib")
    for d in bib.diagnostics:
        assert d.line >= 1

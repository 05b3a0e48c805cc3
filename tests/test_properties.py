"""Property-based tests: the scanners and parsers never raise, and their positions are real."""

from __future__ import annotations

import pytest
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


# Plain YAML scalars that resolve to every type PyYAML knows, and near misses.
TRICKY = [
    "0",
    "7",
    "2020",
    "0123",
    "0o17",
    "0x1F",
    "1_000",
    "1:30",
    "+5",
    "-3",
    "3.5",
    ".inf",
    "yes",
    "No",
    "on",
    "~",
    "null",
    "2020-01-01",
    "'quoted'",
    '"2020"',
    "text",
    "Scaling laws",
    "[[Note]]",
    "١٢",
    "!!str 12",
    "&a x",
    "*a",
    "{a: 1}",
    ">-\n  folded",
    "!!python/object/apply:os.system ['echo hi']",
    "!!python/tuple [a, b]",
    "!!set {a}",
    "!!binary aGk=",
]
SCALARS = st.sampled_from(TRICKY) | st.text(alphabet="abc019 -_:", min_size=1, max_size=8)
VALUES = SCALARS | st.lists(SCALARS, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")


def _same_as_pyyaml(source: str) -> None:
    import yaml

    from fmkb.load import simple_mapping

    try:
        node = yaml.compose(source, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return
    try:
        expected = yaml.safe_load(source)
    except yaml.YAMLError:  # a tag the safe constructor refuses: so must the shortcut
        assert simple_mapping(node) is None
        return
    fast = simple_mapping(node)
    if fast is not None:
        assert fast == expected
        assert [type(v) for v in fast.values()] == [type(v) for v in expected.values()]


@FAST
@given(st.lists(st.tuples(st.sampled_from(["title", "year", "tags", "a", "<<", "0", "yes"]), VALUES), max_size=6))
def test_the_front_matter_shortcut_builds_what_pyyaml_builds(pairs):
    _same_as_pyyaml("".join(f"{k}: {v}\n" for k, v in pairs))


@pytest.mark.parametrize("value", TRICKY)
def test_the_front_matter_shortcut_agrees_on_each_tricky_scalar(value):
    _same_as_pyyaml(f"year: {value}\ntags: [{value}, x]\n")


@pytest.mark.parametrize(
    "source", ["!!python/object:os.system\na: b\n", "!!python/name:os.system\n", "!!set\n? a\n", "!!omap\n- a: 1\n"]
)
def test_the_front_matter_shortcut_leaves_tagged_documents_to_pyyaml(source):
    _same_as_pyyaml(source)

"""references.bib checks: each rule at its line, and a near miss that passes."""

from __future__ import annotations

import pytest

from fmkb.bibliography import parse_bibliography, parse_bibliography_bytes

GOOD = """\
@article{a2020x,
  author  = {Doe, Jane},
  title   = {A},
  journal = {J},
  year    = {2020},
  doi     = {10.1234/abc.5}
}
"""


def rules(text: str):
    return [(d.line, d.rule) for d in parse_bibliography(text, "references.bib").diagnostics]


def test_complete_entry_is_clean():
    assert rules(GOOD) == []


def test_block_that_fails_to_parse_reported_with_line():
    assert rules(GOOD + "\n@misc{b2020y title={x}}\n") == [(9, "bib-syntax")]


def test_unbalanced_braces_reported_at_the_block():
    text = GOOD + "@misc{c2020z,\n  title = {unclosed,\n  year = {2020}\n}\n"
    assert rules(text) == [(8, "bib-syntax")]


def test_entries_after_a_broken_block_are_still_read():
    broken = "@misc{c2020z,\n  title = {unclosed,\n  year = {2020}\n}\n"
    bib = parse_bibliography(broken + GOOD, "r.bib")
    assert list(bib.entries) == ["a2020x"]
    assert [(d.line, d.rule) for d in bib.diagnostics] == [(1, "bib-syntax")]


def test_duplicate_key():
    assert rules(GOOD + GOOD) == [(8, "bib-duplicate-key")]


def test_keys_that_differ_only_in_case():
    assert rules(GOOD + GOOD.replace("a2020x", "A2020x").replace("10.1234/abc.5", "10.1234/abc.6")) == [
        (8, "bib-duplicate-key")
    ]


def test_repeated_field_is_reported_not_lost():
    text = GOOD.replace("  title   = {A},\n", "  title   = {A},\n  title   = {B},\n")
    assert rules(text) == [(1, "bib-field-format")]


def test_missing_comma_between_fields_swallows_a_field():
    text = GOOD.replace("  journal = {J},", "  journal = {J}")
    got = rules(text)
    assert (4, "bib-field-format") in got
    d = [d for d in parse_bibliography(text, "r.bib").diagnostics if d.rule == "bib-field-format"][0]
    assert "'year'" in d.message and "comma" in d.hint


def test_undefined_string_macro():
    text = GOOD.replace("journal = {J}", "journal = jmlr")
    assert rules(text) == [(4, "bib-field-format")]


def test_defined_string_macro_and_month_are_fine():
    text = '@string{jmlr = "Journal of ML"}\n' + GOOD.replace("journal = {J}", "journal = jmlr # { X},\n  month = jan")
    assert rules(text) == []


def test_required_fields_by_type():
    text = "@inproceedings{b2020y,\n  title = {T},\n  year = {2020}\n}\n"
    got = parse_bibliography(text, "r.bib").diagnostics
    assert [(d.line, d.rule) for d in got] == [(1, "bib-missing-field"), (1, "bib-missing-field")]
    assert {"'author'" in d.message or "'booktitle'" in d.message for d in got} == {True}


def test_misc_needs_a_locator():
    assert rules("@misc{m2020,\n  title = {T},\n  year = {2020}\n}\n") == [(1, "bib-missing-field")]
    assert rules("@misc{m2020,\n  title = {T},\n  year = {2020},\n  eprint = {2001.08361}\n}\n") == []


def test_year_must_be_four_digits():
    assert rules(GOOD.replace("{2020}", "{20}")) == [(5, "bib-field-format")]


def test_malformed_doi_and_arxiv_id():
    assert rules(GOOD.replace("10.1234/abc.5", "doi:10.1234")) == [(6, "bib-field-format")]
    text = "@misc{m2020,\n  title = {T},\n  year = {2020},\n  eprint = {2001.8361x},\n  archivePrefix = {arXiv}\n}\n"
    assert rules(text) == [(4, "bib-field-format")]


def test_non_arxiv_eprint_is_not_checked_as_arxiv():
    text = "@misc{m2020,\n  title = {T},\n  year = {2020},\n  eprint = {PMC123},\n  eprinttype = {pubmed}\n}\n"
    assert rules(text) == []


def test_same_doi_in_two_entries():
    assert rules(GOOD + GOOD.replace("a2020x", "b2020x")) == [(8, "bib-duplicate-id")]


def test_same_arxiv_id_ignoring_version():
    one = "@misc{m2020,\n  title = {T},\n  year = {2020},\n  eprint = {2001.08361}\n}\n"
    assert rules(one + one.replace("m2020", "n2020").replace("08361", "08361v2")) == [(6, "bib-duplicate-id")]


def test_entry_lines_are_one_based():
    bib = parse_bibliography("\n\n" + GOOD, "r.bib")
    assert bib.entries["a2020x"].line == 3


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: {**d, "entries": [[1, "misc", {}, 1, {}]]},
        lambda d: {**d, "entries": [["k", "misc", {"title": 3}, 1, {}]]},
        lambda d: {**d, "entries": [["k", "misc", {"title": "T"}, "1", {}]]},
        lambda d: {**d, "entries": [["k", "misc", {"title": "T"}, 1, {"title": "x"}]]},
        lambda d: {**d, "path": None},
        lambda d: {**d, "entries": "not a list"},
    ],
)
def test_the_bibliography_cache_decoder_refuses_wrong_types(damage):
    import json

    from fmkb.bibcache import from_json, to_json

    good = parse_bibliography_bytes(b"@misc{k, title={T}, year={2020}, url={u}}", "r.bib")
    data = json.loads(to_json(good, "d"))
    assert from_json(json.dumps(data), "d") is not None
    assert from_json(json.dumps(damage(data)), "d") is None


@pytest.mark.parametrize(
    "typed,arxiv",
    [
        ("2203.02155", "2203.02155"),
        ("arXiv:2203.02155v2", "2203.02155"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("x", None),
    ],
)
def test_one_arxiv_grammar_for_fields_and_the_command_line(typed, arxiv):
    from fmkb.identifiers import arxiv_typed, is_arxiv

    assert arxiv_typed(typed) == arxiv
    assert is_arxiv(typed) == (arxiv is not None and not typed.lower().startswith("arxiv:"))


@pytest.mark.parametrize(
    "typed,doi",
    [("10.1038/x", "10.1038/x"), ("https://doi.org/10.1038/x", "10.1038/x"), ("doi:10.1/y", None), ("nope", None)],
)
def test_one_doi_grammar_for_fields_and_the_command_line(typed, doi):
    from fmkb.identifiers import doi_typed, is_doi

    assert doi_typed(typed) == doi
    assert is_doi(typed) == (doi is not None and typed == doi)

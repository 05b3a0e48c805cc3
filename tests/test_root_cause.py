"""Root cause first: the diagnostics a contributor sees point at the real mistake, in plain words,
with the fix."""

from __future__ import annotations

import pytest

from conftest import BIB, diags, make_vault

BROKEN = (
    BIB
    + "\n@article{vaswani2017attention,\n  title = {Attention Is All You Need,\n  year = {2017}\n}\n"
    + "\n@misc{later2024x,\n  title = {Later}, year = {2024}, howpublished = {x}\n}\n"
)


def test_a_bib_syntax_error_comes_before_the_citations_it_breaks(tmp_path):
    notes = {f"n{i}.md": "See [@vaswani2017attention].\n" for i in range(3)}
    make_vault(tmp_path, notes, bib=BROKEN)
    found = diags(tmp_path)
    assert found[0].rule == "bib-syntax" and found[0].path == "references.bib"
    assert [d.rule for d in found[1:4]] == ["cite-unknown"] * 3


def test_a_key_whose_entry_did_not_parse_is_reported_as_such_without_a_guess(tmp_path):
    make_vault(tmp_path, {"a.md": "See [@vaswani2017attention].\n"}, bib=BROKEN)
    (d,) = diags(tmp_path, "cite-unknown")
    line = BROKEN.splitlines().index("@article{vaswani2017attention,") + 1
    assert f"its entry at references.bib:{line} could not be parsed" in d.message
    assert "did you mean" not in (d.hint or "") and f"references.bib:{line}" in (d.hint or "")


def test_an_unknown_key_near_a_known_one_still_gets_a_guess(tmp_path):
    make_vault(tmp_path, {"a.md": "See [@kaplan2020scalin].\n"}, bib=BROKEN)
    (d,) = diags(tmp_path, "cite-unknown")
    assert d.hint == "did you mean @kaplan2020scaling?"


def test_an_unbalanced_brace_gets_a_plain_hint(tmp_path):
    make_vault(tmp_path, {"a.md": "x\n"}, bib=BROKEN)
    (d,) = diags(tmp_path, "bib-syntax")
    assert "not closed" in (d.hint or "")


@pytest.mark.parametrize(
    "yaml,where,words,fix",
    [
        (
            "title: Scaling laws: a survey",
            (2, 20),
            "contains ': ' and is not quoted",
            'title: "Scaling laws: a survey"',
        ),
        ("title: x\n\tkind: paper", (3, 1), "indented with a tab", "spaces"),
        ('title: "unclosed\nkind: paper', (2, 8), "quote is opened and never closed", "close the quote"),
        ("title x\nkind: concept", (3, 5), "the line before is not 'key: value'", "add a colon: 'title x: ...'"),
        ("title: x\n  kind: concept", (3, 7), "indented", "column 1"),
    ],
)
def test_common_yaml_mistakes_are_explained(tmp_path, yaml, where, words, fix):
    make_vault(tmp_path, {"a.md": f"---\n{yaml}\n---\nbody\n"})
    (d,) = diags(tmp_path, "frontmatter-yaml")
    assert (d.line, d.column) == where and words in d.message and fix in (d.hint or "")


def test_a_repeated_front_matter_key_is_reported(tmp_path):
    make_vault(tmp_path, {"a.md": "---\ntitle: A\ndescription: x\ntitle: B\n---\nbody\n"})
    (d,) = diags(tmp_path, "frontmatter-schema")
    assert (d.line, d.column) == (4, 1) and "appears twice (first on line 2)" in d.message


def test_a_paper_without_cite_is_told_the_key_whose_title_matches(tmp_path):
    make_vault(tmp_path, {"p.md": "---\ntitle: Scaling laws for neural language models\nkind: paper\n---\nx\n"})
    (d,) = [d for d in diags(tmp_path, "frontmatter-schema") if "needs 'cite'" in d.message]
    assert d.hint == "add a line: cite: kaplan2020scaling"


def test_a_misspelt_kind_is_told_the_right_one(tmp_path):
    make_vault(tmp_path, {"p.md": "---\nkind: papers\n---\nx\n"})
    (d,) = diags(tmp_path, "frontmatter-schema")
    assert d.hint == "did you mean 'kind: paper'?"


def test_an_arxiv_doi_and_an_eprint_are_the_same_work(tmp_path):
    twin = (
        "\n@misc{kaplan2020again,\n  title = {Scaling Laws}, author = {Kaplan, Jared}, year = {2020},\n"
        "  doi = {10.48550/arXiv.2001.08361}\n}\n"
    )
    make_vault(tmp_path, {"a.md": "[@kaplan2020scaling] [@kaplan2020again] [@hoffmann2022training]\n"}, bib=BIB + twin)
    (d,) = diags(tmp_path, "bib-duplicate-id")
    assert (
        "kaplan2020again" in d.message
        and "2001.08361" in d.message
        and d.hint == "cite 'kaplan2020scaling' and remove this entry"
    )


def test_a_versioned_arxiv_id_and_the_bare_id_are_the_same_work(tmp_path):
    twin = "\n@misc{kaplan2020v2,\n  title = {Scaling Laws}, author = {Kaplan, Jared}, year = {2020},\n"
    twin += "  eprint = {2001.08361v2}\n}\n"
    make_vault(tmp_path, {"a.md": "[@kaplan2020scaling] [@kaplan2020v2] [@hoffmann2022training]\n"}, bib=BIB + twin)
    (d,) = diags(tmp_path, "bib-duplicate-id")
    assert "kaplan2020v2" in d.message and "2001.08361" in d.message

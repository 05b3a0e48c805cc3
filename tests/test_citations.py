"""Citations must name entries of references.bib (exact case)."""

from __future__ import annotations

from conftest import diags, places


def test_known_citation_is_clean(vault):
    assert diags(vault({"a.md": "[@kaplan2020scaling, p. 3; @hoffmann2022training]"})) == []


def test_unknown_bracketed_key_with_nearest_key_hint(vault):
    root = vault({"a.md": "text\nas shown [@kaplan2020scalin]\n"})
    (d,) = diags(root)
    assert places([d]) == [("notes/a.md", 2, 11, "cite-unknown")]
    assert d.hint == "did you mean @kaplan2020scaling?"


def test_key_case_must_match_exactly(vault):
    (d,) = diags(vault({"a.md": "[@Kaplan2020scaling]"}))
    assert d.rule == "cite-unknown" and "kaplan2020scaling" in d.hint


def test_second_key_of_group_reported_at_its_own_column(vault):
    root = vault({"a.md": "[@kaplan2020scaling; @nobody2021thing]"})
    assert places(diags(root)) == [("notes/a.md", 1, 22, "cite-unknown")]


def test_in_text_known_key_counts(vault):
    analysis_root = vault({"a.md": "@kaplan2020scaling [p. 4] shows it."})
    assert diags(analysis_root) == []


def test_in_text_key_like_unknown_is_an_error(vault):
    assert places(diags(vault({"a.md": "as @kaplan2021scaling says"}))) == [("notes/a.md", 1, 4, "cite-unknown")]


def test_in_text_handle_that_is_no_key_is_ignored(vault):
    assert diags(vault({"a.md": "[by Amy @Name](https://example.org) and @home"})) == []


def test_email_and_code_are_not_citations(vault):
    assert diags(vault({"a.md": "mail amy@x2020y.org, `@nobody2020x`"})) == []


def test_bib_entry_cited_by_no_note_is_a_warning(vault):
    root = vault({"a.md": "[@kaplan2020scaling]"})
    ds = diags(root, "bib-unused")
    assert [(d.path, d.line, d.severity.value) for d in ds] == [("references.bib", 9, "warning")]
    assert "hoffmann2022training" in ds[0].message


def test_front_matter_cite_counts_as_use(vault):
    note = "---\nkind: paper\ncite: hoffmann2022training\nyear: 2022\n---\n[@kaplan2020scaling]"
    assert diags(vault({"a.md": note}), include_unused=True) == []


def test_counts_links_and_citations(vault):
    from conftest import check_vault

    root = vault({"a.md": "[[b]] [@kaplan2020scaling; @hoffmann2022training] @kaplan2020scaling", "b.md": "x"})
    report = check_vault(root).report
    assert (report.notes, report.links, report.citations) == (2, 1, 3)

"""Markdown links and images are checked as MkDocs resolves them: relative to the note, or
from the notes folder for '/...'; a `.md` target must be a note, anything else a file."""

from __future__ import annotations

import pytest

from conftest import MKDOCS, diags, make_vault, places
from fmkb.config import load_settings
from fmkb.engine import analyze, check

NOTES = {
    "concepts/Scaling laws.md": "# Scaling laws\n\n## Key results\n\ntext\n",
    "papers/P.md": "# P\n\nSee [[Scaling laws]].\n",
    "img/fig.png": b"\x89PNG\r\n\x1a\n",
}


def _md(root):
    rules = ("md-link-unresolved", "md-link-anchor", "md-link-outside-vault", "md-image-missing")
    return [(d.path, d.line, d.column, d.rule) for d in diags(root) if d.rule in rules]


def test_a_relative_link_to_a_missing_note_is_reported_at_its_destination(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "Read [this](../concepts/Gone.md) first.\n"})
    assert _md(tmp_path) == [("notes/papers/A.md", 1, 13, "md-link-unresolved")]


def test_a_relative_link_to_an_existing_note_passes(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "Read [this](../concepts/Scaling%20laws.md) and [p](P.md).\n"})
    assert _md(tmp_path) == []


def test_a_link_whose_case_differs_is_reported_with_the_right_spelling(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "[x](../concepts/scaling%20laws.md)\n"})
    (d,) = [d for d in diags(tmp_path) if d.rule == "md-link-unresolved"]
    assert d.hint == "write '../concepts/Scaling laws.md'"


def test_an_anchor_must_be_a_heading_id_of_the_target(tmp_path):
    target = "../concepts/Scaling laws.md"
    make_vault(tmp_path, {**NOTES, "papers/A.md": f"[ok](<{target}#key-results>) [bad](<{target}#key-result>)\n"})
    found = [d for d in diags(tmp_path) if d.rule == "md-link-anchor"]
    assert [(d.line, d.column) for d in found] == [(1, 56)]
    assert found[0].hint == "did you mean '#key-results'?"


def test_an_anchor_on_the_same_page(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "# A\n\n## Here\n\n[up](#here) [nowhere](#there)\n"})
    assert _md(tmp_path) == [("notes/papers/A.md", 5, 23, "md-link-anchor")]


def test_an_image_must_be_a_file_of_the_vault(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "![fig](../img/fig.png) ![gone](../img/gone.png)\n"})
    assert _md(tmp_path) == [("notes/papers/A.md", 1, 32, "md-image-missing")]


def test_a_link_out_of_the_vault_is_refused(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "[x](../../README.md)\n"})
    assert _md(tmp_path) == [("notes/papers/A.md", 1, 5, "md-link-outside-vault")]


def test_a_reference_definition_is_checked_too(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "See [the laws][l].\n\n[l]: ../concepts/Gone.md\n"})
    assert _md(tmp_path) == [("notes/papers/A.md", 3, 6, "md-link-unresolved")]


@pytest.mark.parametrize(
    "text",
    [
        "`[x](Gone.md)`",
        "```\n[x](Gone.md)\n```",
        "[x](https://example.org/Gone.md)",
        "[x](mailto:a@b.org)",
        "%% [x](Gone.md) %%",
        "<!-- [x](Gone.md) -->",
        "\\[x\\](Gone.md)",
    ],
)
def test_what_is_not_a_link_of_the_site_is_not_checked(tmp_path, text):
    make_vault(tmp_path, {**NOTES, "papers/A.md": text + "\n"})
    assert _md(tmp_path) == []


def test_a_markdown_link_counts_as_a_link_for_the_house_rules(tmp_path):
    mkdocs = MKDOCS + "      rules:\n        note-orphan: error\n"
    make_vault(tmp_path, {**NOTES, "papers/A.md": "[p](P.md)\n"}, mkdocs=mkdocs)
    report = analyze(load_settings(str(tmp_path / "mkdocs.yml"))).report
    orphans = {d.path for d in report.diagnostics if d.rule == "note-orphan"}
    assert "notes/papers/A.md" in orphans and "notes/papers/P.md" not in orphans


def test_the_cached_check_finds_an_anchor_in_a_note_it_did_not_parse_again(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "x\n"})
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    check(settings)
    (tmp_path / "notes" / "papers" / "A.md").write_text("[ok](<../concepts/Scaling laws.md#key-results>)\n")
    assert [d for d in check(settings).diagnostics if d.rule.startswith("md-")] == []
    assert check(settings).diagnostics == analyze(settings).report.diagnostics


def test_the_build_and_the_check_agree_on_a_broken_link(tmp_path):
    """MkDocs itself warns about the link the check reports."""
    import subprocess
    import sys

    make_vault(tmp_path, {**NOTES, "papers/A.md": "[x](../concepts/Gone.md)\n"})
    assert places(diags(tmp_path, "md-link-unresolved")) == [("notes/papers/A.md", 1, 5, "md-link-unresolved")]
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=tmp_path, capture_output=True, text=True)
    assert "Gone.md" in build.stderr


ADMONITION = MKDOCS.replace("markdown_extensions:\n", "markdown_extensions:\n  - admonition\n  - footnotes\n")


@pytest.mark.parametrize(
    "text,reported",
    [
        ("!!! note\n    [a](gone1.md)\n\n    [b](gone2.md)\n", ["gone1.md", "gone2.md"]),  # an admonition's paragraphs
        ("[a](../concepts/Gone.md (title))\n", ["../concepts/Gone.md (title)"]),  # not a title: part of the path
        ("[![i](gone19.png)](gone20.md)\n", ["gone19.png", "gone20.md"]),  # an image inside a link
        ("[a](\ngone8.md)\n", ["gone8.md"]),  # the destination on the next line
        ("[x][r]\n\n> [r]: gone41.md\n", ["gone41.md"]),  # a definition in a quote
        ("Text[^1].\n\n[^1]: see [x](gone14.md)\n", ["gone14.md"]),  # a footnote is not a definition
        ("[r]: gone16.md\n", []),  # a definition no link uses is not rendered
        ("See [a](gone1.md and more text.\n", []),  # an unclosed link is text
        ("<div>\n[a](gone46.md)\n</div>\n", []),  # Markdown is not read inside a raw HTML block
    ],
)
def test_the_renderer_decides_what_is_a_link(tmp_path, text, reported):
    make_vault(tmp_path, {**NOTES, "papers/A.md": text}, mkdocs=ADMONITION)
    report = analyze(load_settings(str(tmp_path / "mkdocs.yml"))).report
    rules = ("md-link-unresolved", "md-image-missing")
    found = [d.message.split("'")[1] for d in report.diagnostics if d.rule in rules]
    assert sorted(found) == sorted(reported)


def test_an_absolute_link_or_a_folder_is_reported_with_the_relative_link_to_write(tmp_path):
    make_vault(tmp_path, {**NOTES, "papers/A.md": "[a](/concepts/Scaling%20laws.md) [b](../concepts/)\n"})
    found = [(d.column, d.hint) for d in diags(tmp_path) if d.rule == "md-link-unresolved"]
    assert found[0] == (5, "write '../concepts/Scaling laws.md'")
    assert found[1][0] == 38 and "relative path" in (found[1][1] or "")


def test_a_changed_heading_id_is_seen_by_the_cached_check(tmp_path):
    make_vault(tmp_path, {**NOTES, "a.md": "[b](b.md#custom)\n", "b.md": "## Sec {#custom}\n"})
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    assert [d for d in check(settings).diagnostics if d.rule == "md-link-anchor"] == []
    (tmp_path / "notes" / "b.md").write_text("## Sec {#other}\n")
    assert [d.rule for d in check(settings).diagnostics if d.rule == "md-link-anchor"] == ["md-link-anchor"]
    assert check(settings).diagnostics == analyze(settings).report.diagnostics

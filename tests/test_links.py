"""Wiki-link resolution: Obsidian's order, stricter errors, exact places."""

from __future__ import annotations

from conftest import diags, places

TARGET = "# Scaling laws\n\n## Results\n\n### Table 2\n\nA claim. ^claim\n"


def test_link_by_file_stem_resolves(vault):
    root = vault({"a.md": "[[Scaling laws]]", "concepts/Scaling laws.md": TARGET})
    assert diags(root) == []


def test_link_is_case_insensitive_and_md_optional(vault):
    root = vault({"a.md": "[[scaling LAWS.md]] [[Scaling laws.md]]", "Scaling laws.md": TARGET})
    # it resolves (no error); only a warning that a case-sensitive reader would not find it
    assert [(d.column, d.rule, d.hint) for d in diags(root)] == [(1, "link-case", "write [[Scaling laws.md]]")]


def test_unresolved_link_reported_at_line_and_column_with_hint(vault):
    root = vault({"papers/x.md": "intro\n\nsee [[Scalng laws]]\n", "Scaling laws.md": TARGET})
    (d,) = diags(root)
    assert places([d]) == [("notes/papers/x.md", 3, 5, "link-unresolved")]
    assert d.hint == "did you mean [[Scaling laws]]?"
    assert "[[Scalng laws]]" in d.message


def test_path_from_vault_root(vault):
    root = vault({"a/b.md": "[[c/Note]]", "c/Note.md": "x", "a/Note.md": "y"})
    assert diags(root) == []


def test_path_relative_to_linking_note(vault):
    root = vault({"a/b.md": "[[../c/Note]]", "c/Note.md": "x"})
    assert diags(root) == []


def test_unique_path_suffix(vault):
    root = vault({"x.md": "[[papers/Note]]", "deep/papers/Note.md": "n", "other/Note.md": "o"})
    assert diags(root) == []


def test_title_and_alias_resolve_after_stems(vault):
    note = "---\ntitle: Training Compute-Optimal LLMs\naliases: [Chinchilla]\n---\nbody\n"
    root = vault({"a.md": "[[Chinchilla]] [[training compute-optimal llms]]", "papers/hoffmann.md": note})
    assert diags(root) == []


def test_stem_wins_over_alias_of_another_note(vault):
    root = vault({"a.md": "[[GPT-3]]", "models/GPT-3.md": "m", "p.md": "---\naliases: [GPT-3]\n---\n"})
    analysis_diags = diags(root)
    assert analysis_diags == []


def test_ambiguous_stem_lists_every_candidate_and_qualified_link(vault):
    root = vault({"a.md": "\n[[Note]]", "x/Note.md": "1", "y/Note.md": "2"})
    (d,) = diags(root)
    assert places([d]) == [("notes/a.md", 2, 1, "link-ambiguous")]
    assert "x/Note" in d.message and "y/Note" in d.message
    assert d.hint == "write [[x/Note]] or [[y/Note]]"


def test_ambiguous_alias_is_an_error(vault):
    root = vault(
        {"a.md": "[[Shared]]", "b.md": "---\naliases: [Shared]\n---\n", "c.md": "---\naliases: [Shared]\n---\n"}
    )
    assert [d.rule for d in diags(root)] == ["link-ambiguous"]


def test_link_outside_vault(vault):
    root = vault({"a.md": "[[../../etc/passwd]]"})
    assert places(diags(root)) == [("notes/a.md", 1, 1, "link-outside-vault")]


def test_windows_style_climb_is_outside_vault(vault):
    root = vault({"a.md": "[[..\\..\\secret]]"})
    assert [d.rule for d in diags(root)] == ["link-outside-vault"]


def test_relative_climb_that_stays_inside_is_fine(vault):
    root = vault({"a/b/c.md": "[[../../Top]]", "Top.md": "t"})
    assert diags(root) == []


def test_heading_exact_and_loose_match(vault):
    root = vault({"a.md": "[[Scaling laws#Results]] [[Scaling laws#results!]]", "Scaling laws.md": TARGET})
    assert diags(root) == []


def test_missing_heading(vault):
    root = vault({"a.md": "x [[Scaling laws#Resluts]]", "Scaling laws.md": TARGET})
    (d,) = diags(root)
    assert places([d]) == [("notes/a.md", 1, 3, "link-heading")]
    assert d.hint == "did you mean #Results?"


def test_nested_heading_path_must_be_inside_parent_section(vault):
    text = "# T\n## A\n### Deep\n## B\n"
    root = vault({"a.md": "[[T#A#Deep]] [[T#B#Deep]]", "T.md": text})
    assert places(diags(root)) == [("notes/a.md", 1, 14, "link-heading")]


def test_same_note_heading_link(vault):
    root = vault({"a.md": "## Here\n[[#Here]] [[#Nowhere]]\n"})
    assert places(diags(root)) == [("notes/a.md", 2, 11, "link-heading")]


def test_block_reference_checked(vault):
    root = vault({"a.md": "[[Scaling laws#^claim]] [[Scaling laws#^nope]]", "Scaling laws.md": TARGET})
    assert places(diags(root)) == [("notes/a.md", 1, 25, "link-block")]


def test_heading_in_code_block_is_not_a_target(vault):
    root = vault({"a.md": "[[T#Fake]]", "T.md": "```\n# Fake\n```\n"})
    assert [d.rule for d in diags(root)] == ["link-heading"]


def test_image_embed_resolves_to_attachment(vault, tmp_path):
    root = vault({"a.md": "![[fig.png|300]] ![[assets/fig.png]]"})
    (tmp_path / "notes" / "assets").mkdir()
    (tmp_path / "notes" / "assets" / "fig.png").write_bytes(b"\x89PNG")
    assert diags(root) == []


def test_missing_embed(vault):
    root = vault({"a.md": "text\n![[missing.png]]"})
    assert places(diags(root)) == [("notes/a.md", 2, 1, "embed-missing")]


def test_note_embed_resolves_like_a_link(vault):
    root = vault({"a.md": "![[Scaling laws#Results]]", "Scaling laws.md": TARGET})
    assert diags(root) == []


def test_links_in_code_are_not_checked(vault):
    root = vault({"a.md": "`[[Nope]]`\n```\n[[Nope]]\n```\n<!-- [[Nope]] --> %%[[Nope]]%%"})
    assert diags(root) == []


def test_math_hides_links_only_where_the_site_renders_math():
    from fmkb.scan import scan

    assert scan("$[[Nope]]$", math=True).links == []
    assert [x.target for x in scan("$[[Nope]]$", math=False).links] == ["Nope"]  # shown as text with a link


def test_wikilink_in_front_matter_is_checked_at_its_place(vault):
    root = vault({"a.md": '---\ntitle: A\nrelated: "[[Scalng laws]]"\n---\n', "Scaling laws.md": TARGET})
    assert places(diags(root)) == [("notes/a.md", 3, 11, "link-unresolved")]


def test_wikilinks_in_front_matter_lists(vault):
    root = vault({"a.md": "---\nrelated:\n  - '[[Scaling laws]]'\n  - '[[Nope]]'\n---\n", "Scaling laws.md": TARGET})
    assert places(diags(root)) == [("notes/a.md", 4, 6, "link-unresolved")]


def test_dot_folders_are_not_part_of_the_vault(vault):
    root = vault({"a.md": "[[Hidden]]", ".obsidian/Hidden.md": "x", ".trash/x.md": "[[Nope]]"})
    assert [d.rule for d in diags(root)] == ["link-unresolved"]


def test_table_escaped_pipe_link_resolves(vault):
    root = vault({"a.md": "| a | [[Scaling laws\\|laws]] |\n|---|---|\n", "Scaling laws.md": TARGET})
    assert diags(root) == []

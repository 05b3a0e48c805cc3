"""Front matter: YAML errors at their real place, and the schema."""

from __future__ import annotations

from conftest import check_vault, diags, places


def test_yaml_error_reported_at_real_line_and_column(vault):
    root = vault({"a.md": "---\ntitle: ok\ntags: [a, b\n---\nbody\n"})
    (d,) = diags(root)
    assert d.rule == "frontmatter-yaml"
    assert (d.line, d.column) == (3, 7)  # where the list opens
    assert "not closed" in d.message and "]" in (d.hint or "")


def test_yaml_tab_error_line(vault):
    root = vault({"a.md": "---\ntitle: x\n\tbad: 1\n---\n"})
    (d,) = diags(root)
    assert (d.rule, d.line) == ("frontmatter-yaml", 3)


def test_unclosed_front_matter(vault):
    assert [d.rule for d in diags(vault({"a.md": "---\ntitle: x\n"}))] == ["frontmatter-yaml"]


def test_python_tags_are_rejected_by_safe_load(vault):
    root = vault({"a.md": "---\nx: !!python/object/apply:os.system ['echo hi']\n---\n"})
    assert [d.rule for d in diags(root)] == ["frontmatter-yaml"]


def test_front_matter_must_be_a_mapping(vault):
    assert [d.rule for d in diags(vault({"a.md": "---\n- a\n- b\n---\n"}))] == ["frontmatter-schema"]


def test_unknown_kind(vault):
    root = vault({"a.md": "---\ntitle: A\nkind: papr\n---\n"})
    assert places(diags(root)) == [("notes/a.md", 3, 1, "frontmatter-schema")]


def test_wrong_type(vault):
    (d,) = diags(vault({"a.md": "---\naliases: Chinchilla\n---\n"}))
    assert (d.rule, d.line) == ("frontmatter-schema", 2)
    assert "list" in d.message and d.hint


def test_tags_without_spaces(vault):
    assert [d.rule for d in diags(vault({"a.md": "---\ntags: [large models]\n---\n"}))] == ["frontmatter-schema"]


def test_unknown_key_is_a_warning_with_did_you_mean(vault):
    (d,) = diags(vault({"a.md": "---\ntitle: A\ntaggs: [x]\n---\n"}))
    assert (d.rule, d.severity.value, d.line, d.column) == ("frontmatter-unknown-key", "warning", 3, 1)
    assert d.hint == "did you mean 'tags'?"


def test_key_of_another_kind_is_flagged(vault):
    (d,) = diags(vault({"a.md": "---\nkind: concept\norganization: OpenAI\n---\n"}))
    assert d.rule == "frontmatter-unknown-key"


def test_paper_requires_cite(vault):
    (d,) = diags(vault({"a.md": "---\nkind: paper\n---\n"}))
    assert d.rule == "frontmatter-schema" and "cite" in d.message


def test_paper_cite_must_exist(vault):
    root = vault({"a.md": "---\nkind: paper\ncite: kaplan2020scalng\n---\n[@kaplan2020scaling]"})
    (d,) = diags(root)
    assert places([d]) == [("notes/a.md", 3, 1, "paper-cite")]
    assert "kaplan2020scaling" in d.hint


def test_paper_year_must_equal_bib_year(vault):
    root = vault({"a.md": "---\nkind: paper\ncite: kaplan2020scaling\nyear: 2021\n---\n"})
    (d,) = diags(root)
    assert places([d]) == [("notes/a.md", 4, 1, "paper-cite")]
    assert d.hint == "write year: 2020"


def test_paper_with_matching_year_is_clean(vault):
    assert diags(vault({"a.md": "---\nkind: paper\ncite: kaplan2020scaling\nyear: 2020\n---\n"})) == []


def test_model_fields(vault):
    good = (
        "---\nkind: model\norganization: OpenAI\nreleased: 2020-05-28\n"
        'parameters: "175B"\npaper: kaplan2020scaling\nlicense: proprietary\n---\n'
    )
    assert diags(vault({"a.md": good})) == []


def test_model_released_must_be_a_date(vault):
    (d,) = diags(vault({"a.md": "---\nkind: model\nreleased: last spring\n---\n"}))
    assert (d.rule, d.line) == ("frontmatter-schema", 3)


def test_model_paper_must_be_a_bib_key(vault):
    assert [d.rule for d in diags(vault({"a.md": "---\nkind: model\npaper: nope\n---\n"}))] == ["paper-cite"]


def test_title_from_front_matter_then_h1_then_stem(vault):
    root = vault({"a.md": "---\ntitle: From YAML\n---\n# H1\n", "b.md": "# From H1\n", "c.md": "text"})
    titles = {n.path: n.title for n in check_vault(root).vault.notes}
    assert titles == {"a.md": "From YAML", "b.md": "From H1", "c.md": "c"}


def test_bom_and_crlf_keep_line_numbers(vault):
    raw = "\ufeff---\r\ntitle: A\r\n---\r\n\r\n[[Nope]]\r\n".encode()
    assert places(diags(vault({"a.md": raw}))) == [("notes/a.md", 5, 1, "link-unresolved")]


def test_non_utf8_file_is_a_diagnostic_and_others_still_checked(vault):
    root = vault({"a.md": b"ok\nbad \xff byte\n", "b.md": "[[Nope]]"})
    assert places(diags(root)) == [("notes/a.md", 2, 5, "file-unreadable"), ("notes/b.md", 1, 1, "link-unresolved")]


def test_yaml_alias_bomb_is_bounded(vault):
    # nine levels of nine-fold aliases: 9**9 strings if anything expanded them
    names = "abcdefghi"
    rows = [f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in zip(names, names[1:], strict=False)]
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "\n".join(rows) + "\n---\n"
    ds = diags(vault({"a.md": bomb + "[[Nope]]\n"}))
    assert [(d.rule, d.line) for d in ds] == [("frontmatter-yaml", 2), ("link-unresolved", 12)]
    assert "expand to more than" in ds[0].message  # refused: no YAML loader (MkDocs' either) ever sees it


def test_deeply_nested_yaml_is_a_diagnostic_not_a_crash(vault):
    deep = "---\nx: " + "[" * 100_000 + "]" * 100_000 + "\n---\n[[Nope]]\n"
    ds = diags(vault({"a.md": deep}))
    assert [(d.rule, d.line) for d in ds] == [("frontmatter-yaml", 2), ("link-unresolved", 4)]
    assert "nested more than 256 levels" in ds[0].message


def test_moderate_nesting_is_fine(vault):
    nested = "---\nrelated: " + "[" * 50 + "x" + "]" * 50 + "\n---\n"
    assert [d.rule for d in diags(vault({"a.md": nested}))] == ["frontmatter-schema"]


def test_huge_front_matter_is_refused(vault):
    big = "---\ndescription: " + "x" * 300_000 + "\n---\n"
    assert [d.rule for d in diags(vault({"a.md": big}))] == ["frontmatter-yaml"]

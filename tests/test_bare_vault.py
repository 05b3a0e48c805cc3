"""Any vault, zero configuration: `fmkb check PATH` on a folder of notes without mkdocs.yml."""

from __future__ import annotations

import json

BIB = (
    "@misc{kaplan2020scaling, title = {Scaling Laws}, author = {Kaplan, Jared}, year = {2020}, eprint = {2001.08361}}\n"
)


def _vault(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _rules(out):
    return [(d["path"], d["line"], d["column"], d["rule"]) for d in json.loads(out)["diagnostics"]]


def test_a_bare_vault_is_checked_with_obsidian_rules(tmp_path, run_cli):
    _vault(
        tmp_path, {"Home.md": "[[Daily/Today]] [[Nope]]\n", "Daily/Today.md": "[[Home]]\n", ".obsidian/app.json": "{}"}
    )
    code, out, _ = run_cli(tmp_path, "check", "--format", "json")
    assert code == 1 and _rules(out) == [("Home.md", 1, 17, "link-unresolved")]


def test_attachments_anywhere_in_the_vault_and_files_obsidian_keeps(tmp_path, run_cli):
    files = {"Home.md": "![[pic.png]] ![[Board.canvas]]\n", "assets/deep/pic.png": "x", "Board.canvas": "{}"}
    code, out, _ = run_cli(_vault(tmp_path, files), "check", "--format", "json")
    assert code == 0, out


def test_without_a_bibliography_citations_are_not_checked(tmp_path, run_cli):
    _vault(tmp_path, {"a.md": "Email me @home or see [@kaplan2020scaling].\n"})
    code, out, _ = run_cli(tmp_path, "check", "--format", "json")
    assert code == 0 and _rules(out) == []


def test_a_bibliography_at_the_root_is_used(tmp_path, run_cli):
    _vault(tmp_path, {"a.md": "[@kaplan2020scaling] [@nobody2020x]\n", "library.bib": BIB})
    code, out, _ = run_cli(tmp_path, "check", "--format", "json")
    assert code == 1 and _rules(out) == [("a.md", 1, 23, "cite-unknown")]


def test_a_path_argument_checks_that_vault_from_anywhere(tmp_path, run_cli):
    vault = _vault(tmp_path / "vault", {"a.md": "[[b]]\n"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, _ = run_cli(elsewhere, "check", str(vault), "--format", "json")
    assert code == 1 and _rules(out) == [("a.md", 1, 1, "link-unresolved")]


def test_a_folder_inside_a_project_finds_its_mkdocs_yml(tmp_path, run_cli):
    from conftest import make_vault

    make_vault(tmp_path, {"sub/a.md": "[[Nope]] [@kaplan2020scaling] [@hoffmann2022training]\n"})
    code, out, _ = run_cli(tmp_path / "notes" / "sub", "check", "--format", "json")
    assert code == 1 and _rules(out) == [("notes/sub/a.md", 1, 1, "link-unresolved")]

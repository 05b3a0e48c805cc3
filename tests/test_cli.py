"""`fmkb check`: output formats and exit codes, as CI sees them."""

from __future__ import annotations

import json

import pytest

CLEAN = {"a.md": "[[b]] [@kaplan2020scaling; @hoffmann2022training]", "b.md": "[[a]]"}


@pytest.fixture
def run(run_cli):
    return run_cli


def test_clean_vault_exits_zero_with_summary(vault, run):
    code, out, _ = run(vault(CLEAN), "check")
    assert code == 0
    assert out.strip() == "0 errors, 0 warnings in 2 notes (2 links, 2 citations)"


def test_text_format_line_and_hint(vault, run):
    code, out, _ = run(
        vault({**CLEAN, "papers/x.md": "\n\nsee [[Scalng laws]]", "Scaling laws.md": "[[a]] [[b]]"}), "check"
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "notes/papers/x.md:3:5: error: unresolved wiki-link [[Scalng laws]] [link-unresolved]"
    assert lines[1] == "    hint: did you mean [[Scaling laws]]?"
    assert lines[-1].startswith("1 error, 0 warnings in 4 notes")


def test_github_format_annotations(vault, run):
    code, out, _ = run(vault({**CLEAN, "x.md": "[[Nope]]"}), "check", "--format", "github")
    assert code == 1
    assert out.splitlines()[0].startswith(
        "::error file=notes/x.md,line=1,col=1,title=link-unresolved::unresolved wiki-link"
    )


def test_json_format(vault, run):
    code, out, _ = run(vault({**CLEAN, "x.md": "\n[@nope2020x]"}), "check", "--format", "json")
    data = json.loads(out)
    assert code == 1
    (d,) = data["diagnostics"]
    assert {k: d[k] for k in ("path", "line", "column", "severity", "rule")} == {
        "path": "notes/x.md",
        "line": 2,
        "column": 2,
        "severity": "error",
        "rule": "cite-unknown",
    }
    assert set(d) >= {"path", "line", "column", "severity", "rule", "message", "hint"}
    assert data["summary"] == {"errors": 1, "warnings": 0, "notes": 3, "links": 2, "citations": 3}


def test_warnings_pass_unless_strict(vault, run):
    root = vault({"a.md": "---\ntaggs: [x]\n---\n[@kaplan2020scaling; @hoffmann2022training]"})
    assert run(root, "check")[0] == 0
    assert run(root, "check", "--strict")[0] == 1


def test_a_missing_config_file_exits_two(tmp_path, run):
    code, out, err = run(tmp_path, "-f", "nowhere/mkdocs.yml", "check")
    assert code == 2 and "mkdocs.yml" in err and "Traceback" not in err


def test_new_outside_a_project_exits_two(tmp_path, run):
    code, out, err = run(tmp_path, "new", "concept", "X")
    assert code == 2 and "no mkdocs.yml" in err and not list(tmp_path.iterdir())


def test_version(run, tmp_path):
    from fmkb import __version__

    code, out, _ = run(tmp_path, "--version")
    assert code == 0 and out.strip() == f"fmkb {__version__}"


def test_missing_bibliography_exits_two(vault, run, tmp_path):
    root = vault(CLEAN)
    (tmp_path / "references.bib").unlink()
    code, _, err = run(root, "check")
    assert code == 2 and "references.bib" in err


def test_plugin_not_enabled_exits_two(vault, run):
    root = vault(CLEAN, mkdocs="site_name: t\ndocs_dir: notes\n")
    code, _, err = run(root, "check")
    assert code == 2 and "fmkb plugin" in err


def test_unknown_option_exits_two(vault, run):
    assert run(vault(CLEAN), "check", "--format", "xml")[0] == 2


def test_config_file_option(vault, run, tmp_path):
    vault(CLEAN)
    (tmp_path / "mkdocs.yml").rename(tmp_path / "site.yml")
    code, out, _ = run(tmp_path, "-f", "site.yml", "check")
    assert code == 0


def test_console_script_runs(vault, tmp_path):
    import subprocess
    import sys

    root = vault({**CLEAN, "x.md": "[[Nope]]"})
    proc = subprocess.run([sys.executable, "-m", "fmkb", "check"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 1 and "notes/x.md:1:1" in proc.stdout

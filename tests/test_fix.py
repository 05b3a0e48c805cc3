"""`fmkb check --fix` fixes only what is mechanical and reported; `--only` and `fmkb graph`."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import BIB, MKDOCS, make_vault


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "notes").rglob("*")) if p.is_file()}


NOTES = {
    "concepts/Scaling laws.md": "# Scaling laws\n\n## Key results\n\nx\n",
    "papers/Kaplan.md": (
        "---\nkind: paper\ncite: kaplan2020scaling\nyear: 2019  # the preprint\ntitle: Kaplan\n---\n"
        "[@kaplan2020scaling] [@hoffmann2022training]\n"
    ),
    "a.md": "[[scaling laws]] [[Scaling laws]] [[concepts/scaling laws#Key results|x]] "
    "[y](concepts/scaling%20laws.md)\n",
    "untouched.md": "[[Nowhere]] and\r\n[[Scaling laws]]\r\n",
}


def test_fix_makes_the_mechanical_fixes_and_shows_a_diff(tmp_path, run_cli):
    make_vault(tmp_path, NOTES)
    code, out, err = run_cli(tmp_path, "check", "--fix", "--format", "json")
    assert "--- a/notes/a.md" in out and "+[[Scaling laws]] [[Scaling laws]]" in out
    assert (tmp_path / "notes" / "a.md").read_text() == (
        "[[Scaling laws]] [[Scaling laws]] [[concepts/Scaling laws#Key results|x]] [y](concepts/Scaling%20laws.md)\n"
    )
    kaplan = (tmp_path / "notes" / "papers" / "Kaplan.md").read_text()
    assert "year: 2020  # the preprint\n" in kaplan  # the comment kept
    assert "fixed 4 problems in 2 notes" in err
    report = json.loads(out[out.index('{\n  "diagnostics"') :])
    assert [d["rule"] for d in report["diagnostics"]] == ["link-unresolved"]  # not mechanical: left
    assert code == 1


def test_fix_never_touches_a_note_it_does_not_report(tmp_path, run_cli):
    make_vault(tmp_path, NOTES)
    before = (tmp_path / "notes" / "untouched.md").read_bytes()
    run_cli(tmp_path, "check", "--fix")
    assert (tmp_path / "notes" / "untouched.md").read_bytes() == before


def test_fix_is_idempotent(tmp_path, run_cli):
    make_vault(tmp_path, NOTES)
    run_cli(tmp_path, "check", "--fix")
    once = _snapshot(tmp_path)
    code, out, err = run_cli(tmp_path, "check", "--fix")
    assert _snapshot(tmp_path) == once and "nothing to fix" in err and "--- a/" not in out


def test_links_by_title_are_fixed_only_when_the_policy_asks(tmp_path, run_cli):
    notes = {
        "papers/Compute optimal.md": "---\ntitle: Training compute-optimal models\naliases: [Chinchilla]\n---\nx\n",
        "a.md": "[[Chinchilla]] and [[Training compute-optimal models|the paper]]\n",
    }
    make_vault(tmp_path, notes)
    run_cli(tmp_path, "check", "--fix")
    assert (tmp_path / "notes" / "a.md").read_text() == notes["a.md"]
    (tmp_path / "mkdocs.yml").write_text(MKDOCS + "      rules:\n        link-by-title: warning\n")
    run_cli(tmp_path, "check", "--fix")
    assert (tmp_path / "notes" / "a.md").read_text() == (
        "[[Compute optimal|Chinchilla]] and [[Compute optimal|the paper]]\n"
    )


def test_only_reports_the_named_rules_and_turns_them_on(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "[[A]]\n", "A.md": "[[Missing]]\n", "B.md": "x\n"})
    code, out, _ = run_cli(tmp_path, "check", "--only", "note-orphan", "--format", "json")
    assert [(d["path"], d["rule"]) for d in json.loads(out)["diagnostics"]] == [("notes/B.md", "note-orphan")]
    code, _, err = run_cli(tmp_path, "check", "--only", "note-orphans")
    assert code == 2 and "unknown rule note-orphans" in err


def test_graph_has_the_resolved_links_and_the_cited_works(tmp_path, run_cli):
    make_vault(
        tmp_path,
        {"a.md": "[[b]] ![[b]] [c](c.md) [[Nope]] [@kaplan2020scaling]\n", "b.md": "x\n", "c.md": "y\n"},
        bib=BIB,
    )
    code, out, _ = run_cli(tmp_path, "graph")
    graph = json.loads(out)
    assert code == 0 and {n["id"] for n in graph["notes"]} == {"a.md", "b.md", "c.md"}
    assert sorted((e["source"], e["target"], e["type"]) for e in graph["links"]) == [
        ("a.md", "b.md", "embed"),
        ("a.md", "b.md", "link"),
        ("a.md", "c.md", "markdown"),
    ]
    assert graph["citations"] == [{"source": "a.md", "key": "kaplan2020scaling"}]
    assert graph["references"][0]["year"] == "2020"


def test_graph_as_dot_escapes_titles(tmp_path, run_cli):
    make_vault(tmp_path, {"a.md": '---\ntitle: Say "hi" \\ there\n---\n[[b]]\n', "b.md": "x\n"})
    code, out, _ = run_cli(tmp_path, "graph", "--format", "dot")
    assert code == 0 and out.startswith("digraph fmkb {") and r'label="Say \"hi\" \\ there"' in out
    assert '"a.md" -> "b.md";' in out


def test_table_rows_of_every_shape_get_the_escaped_separator_and_other_lines_do_not(tmp_path, run_cli):
    notes = {
        "papers/Compute optimal.md": "---\naliases: [Chinchilla]\n---\nx\n",
        "a.md": "[[Chinchilla]] | x\n\n> | [[Chinchilla]] | y |\n\nPlain [[Chinchilla]] and [[a|b]].\n",
    }
    make_vault(tmp_path, notes, mkdocs=MKDOCS + "      rules:\n        link-by-title: warning\n")
    run_cli(tmp_path, "check", "--fix")
    assert (tmp_path / "notes" / "a.md").read_text() == (
        "[[Compute optimal\\|Chinchilla]] | x\n\n> | [[Compute optimal\\|Chinchilla]] | y |\n\n"
        "Plain [[Compute optimal|Chinchilla]] and [[a|b]].\n"
    )


def test_a_year_written_in_an_unusual_yaml_form_is_left_to_a_person(tmp_path, run_cli):
    paper = "---\nkind: paper\ncite: kaplan2020scaling\nyear: 0x7E3\ntitle: K\n---\n"
    paper += "[@kaplan2020scaling] [@hoffmann2022training]\n"
    make_vault(tmp_path, {"papers/K.md": paper})
    run_cli(tmp_path, "check", "--fix")
    assert (tmp_path / "notes" / "papers" / "K.md").read_text() == paper

"""House rules: a vault's own policy, set in `rules:`, reported like every other rule."""

from __future__ import annotations

import json

import pytest

from conftest import MKDOCS, make_vault
from fmkb.config import ConfigError, load_settings
from fmkb.engine import analyze, check
from fmkb.house import own_words
from fmkb.load import load_note


def _with_rules(rules: str) -> str:
    return MKDOCS + "      rules:\n" + "".join(f"        {line}\n" for line in rules.strip().splitlines())


def _settings(root):
    return load_settings(str(root / "mkdocs.yml"))


def _found(root, rule):
    report = analyze(_settings(root)).report
    return [(d.path, d.line, d.column, d.severity.value) for d in report.diagnostics if d.rule == rule]


PROSE = "Words of a note that says a little about its topic. " * 3


def test_house_rules_are_off_by_default(tmp_path):
    make_vault(tmp_path, {"Lonely.md": "---\nkind: paper\n---\nx\n", "M.md": "---\nkind: model\n---\n"})
    house = ("note-orphan", "note-few-links", "note-short", "paper-sections", "model-facts", "note-description")
    assert [d.rule for d in analyze(_settings(tmp_path)).report.diagnostics if d.rule in house] == []


def test_an_orphan_is_reported_when_turned_on_and_the_home_page_is_exempt(tmp_path):
    notes = {"index.md": "[[A]]\n", "A.md": "Back [[index]].\n", "Lonely.md": "Nobody links here.\n"}
    make_vault(tmp_path, notes, mkdocs=_with_rules("note-orphan: warning"))
    assert _found(tmp_path, "note-orphan") == [("notes/Lonely.md", 1, 1, "warning")]


def test_a_note_linked_only_from_itself_is_an_orphan(tmp_path):
    make_vault(
        tmp_path,
        {"index.md": "home\n", "Self.md": "# Self\n\nSee [[Self]].\n"},
        mkdocs=_with_rules("note-orphan: error"),
    )
    assert _found(tmp_path, "note-orphan") == [("notes/Self.md", 1, 1, "error")]


def test_a_markdown_link_or_an_embed_keeps_a_note_from_being_an_orphan(tmp_path):
    make_vault(
        tmp_path,
        {"index.md": "[a](A.md) ![[B]]\n", "A.md": "x\n", "B.md": "y\n"},
        mkdocs=_with_rules("note-orphan: error"),
    )
    assert _found(tmp_path, "note-orphan") == []


def test_rules_are_off_when_the_policy_says_so(tmp_path):
    make_vault(tmp_path, {"Lonely.md": "x\n"}, mkdocs=_with_rules("note-orphan: off"))
    assert _found(tmp_path, "note-orphan") == []


def test_a_rule_severity_can_be_changed(tmp_path):
    make_vault(tmp_path, {"a.md": "[[Missing]]\n"}, mkdocs=_with_rules("link-unresolved: warning"))
    assert _found(tmp_path, "link-unresolved") == [("notes/a.md", 1, 1, "warning")]


def test_too_few_links_is_reported_at_the_body_with_the_count(tmp_path):
    notes = {
        "A.md": "---\ntitle: A\n---\nOnly [[B]] and [[B#x]] here.\n",
        "B.md": "# B\n\n## x\n\n[[A]] [[C]]\n",
        "C.md": "[[A]] [[B]]\n",
    }
    make_vault(tmp_path, notes, mkdocs=_with_rules("note-few-links: {severity: error, min: 2}"))
    found = analyze(_settings(tmp_path)).report
    few = [d for d in found.diagnostics if d.rule == "note-few-links"]
    assert [(d.path, d.line, d.column) for d in few] == [("notes/A.md", 4, 1)]
    assert "links to 1 other note;" in few[0].message and "asks for 2" in few[0].message


def test_a_short_paper_note_is_reported_and_quotes_lists_of_links_and_citations_do_not_count(tmp_path):
    padding = "> " + "quoted words " * 100 + "\n\n- [[B]]\n- [[C]], [[B]]\n\n[@kaplan2020scaling]\n"
    own = "One two three four five six seven eight nine ten.\n\n"
    notes = {
        "Short.md": f"---\nkind: paper\ncite: kaplan2020scaling\nyear: 2020\n---\n{own}{padding}",
        "Long.md": f"---\nkind: paper\ncite: kaplan2020scaling\nyear: 2020\n---\n{own * 3}",
    }
    make_vault(tmp_path, notes, mkdocs=_with_rules("note-short: {severity: error, min_words: 5, by_kind: {paper: 25}}"))
    found = [(p, line) for p, line, _c, _s in _found(tmp_path, "note-short")]
    assert found == [("notes/Short.md", 6)]


def test_own_words_count_a_links_label_and_not_code_or_headings():
    note, _ = load_note(
        "a.md", b"# Heading words here\n\nSee [[Scaling laws|the laws]] now.\n\n```\ncode code code\n```\n"
    )
    assert own_words(note) == 4  # See, the, laws, now


def test_a_paper_note_missing_a_section_names_it_and_a_near_miss_passes(tmp_path):
    body = "# Paper\n\n## Summary\n\ntext\n\n## Key results\n\ntext\n"
    notes = {
        "Missing.md": "---\nkind: paper\n---\n" + body,
        "Whole.md": "---\nkind: paper\n---\n" + body + "\n## Limitations\n\nx\n",
        "NotAPaper.md": "# Other\n",
    }
    rules = "paper-sections: {severity: error, sections: [Summary, Key results, Limitations]}"
    make_vault(tmp_path, notes, mkdocs=_with_rules(rules))
    settings = _settings(tmp_path)
    found = [d for d in analyze(settings).report.diagnostics if d.rule == "paper-sections"]
    assert [(d.path, d.line) for d in found] == [("notes/Missing.md", 12)]
    assert "Limitations" in found[0].message and "'## Limitations'" in (found[0].hint or "")


def test_a_model_note_missing_facts_is_reported_at_its_kind(tmp_path):
    notes = {
        "M.md": "---\ntitle: M\nkind: model\norganization: Lab\n---\nx\n",
        "N.md": "---\nkind: model\norganization: Lab\nreleased: 2024-01-01\n---\nx\n",
    }
    make_vault(tmp_path, notes, mkdocs=_with_rules("model-facts: {severity: error, fields: [organization, released]}"))
    found = _found(tmp_path, "model-facts")
    assert found == [("notes/M.md", 3, 1, "error")]


def test_a_note_without_description_or_tags_is_reported_when_asked(tmp_path):
    notes = {"a.md": "---\ntitle: A\n---\nx\n", "b.md": "---\ndescription: B.\ntags: [t]\n---\nx\n"}
    make_vault(tmp_path, notes, mkdocs=_with_rules("note-description: error\nnote-tags: warning"))
    assert _found(tmp_path, "note-description") == [("notes/a.md", 1, 1, "error")]
    assert _found(tmp_path, "note-tags") == [("notes/a.md", 1, 1, "warning")]


def test_a_rule_can_except_notes_by_pattern(tmp_path):
    make_vault(
        tmp_path,
        {"drafts/x.md": "x\n", "y.md": "y\n"},
        mkdocs=_with_rules("note-orphan: {severity: error, except: ['drafts/*']}"),
    )
    assert _found(tmp_path, "note-orphan") == [("notes/y.md", 1, 1, "error")]


@pytest.mark.parametrize(
    "rules,message",
    [
        ("note-orphans: error", "unknown rule 'note-orphans' (did you mean 'note-orphan'?)"),
        ("note-orphan: loud", "severity must be off, warning or error"),
        ("note-few-links: {minimum: 2}", "has no parameter 'minimum'"),
        ("note-few-links: {min: two}", "'min' must be a whole number"),
        ("link-unresolved: {min: 2}", "takes only a severity"),
    ],
)
def test_a_bad_policy_is_a_configuration_error_that_says_what_to_fix(tmp_path, rules, message):
    make_vault(tmp_path, {"a.md": "x\n"}, mkdocs=_with_rules(rules))
    with pytest.raises(ConfigError, match="fmkb option 'rules'") as e:
        _settings(tmp_path)
    assert message in str(e.value)


def test_house_rules_are_reported_in_json_with_their_codes(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "x\n", "Lonely.md": "x\n"}, mkdocs=_with_rules("note-orphan: error"))
    code, out, _ = run_cli(tmp_path, "check", "--format", "json")
    rows = [d for d in json.loads(out)["diagnostics"] if d["rule"] == "note-orphan"]
    assert code == 1 and rows[0]["code"] == "FMKB701" and rows[0]["path"] == "notes/Lonely.md"


def test_the_cached_check_reports_orphans_like_a_fresh_one(tmp_path):
    make_vault(
        tmp_path, {"index.md": "[[A]]\n", "A.md": "x\n", "B.md": "y\n"}, mkdocs=_with_rules("note-orphan: error")
    )
    settings = _settings(tmp_path)
    first = check(settings)
    assert [d.path for d in first.diagnostics if d.rule == "note-orphan"] == ["notes/B.md"]
    (tmp_path / "notes" / "A.md").write_text("Now [[B]].\n")
    second = check(settings)  # A replayed? no: A changed; B's orphan status comes from A's new links
    assert [d.path for d in second.diagnostics if d.rule == "note-orphan"] == []
    assert second.diagnostics == analyze(settings).report.diagnostics

"""`fmkb rename`: a note, attachment or folder moves, and every link to it follows."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import diags, make_vault
from fmkb.config import load_settings
from fmkb.rename import RenameError, apply_rename, plan_rename


def _snapshot(root: Path) -> dict[str, bytes]:
    notes = root / "notes"
    return {str(p.relative_to(notes)): p.read_bytes() for p in sorted(notes.rglob("*")) if p.is_file()}


def _rename(root: Path, old: str, new: str) -> None:
    os.chdir(root)
    settings = load_settings(str(root / "mkdocs.yml"))
    apply_rename(plan_rename(settings, str(root / "notes" / old), str(root / "notes" / new)))


def _links(root):
    return [(d.path, d.line, d.rule) for d in diags(root) if d.rule.startswith(("link-", "md-", "embed-"))]


NOTES = {
    "concepts/Scaling laws.md": "# Scaling laws\n\n## Key results\n\nA fact. ^fact\n",
    "papers/Compute optimal.md": "---\ntitle: Training compute-optimal models\naliases: [Chinchilla]\n---\nBody.\n",
    "img/pic.png": b"\x89PNG",
    "index.md": (
        "[[Scaling laws]] [[concepts/Scaling laws]] [[Scaling laws#Key results|the results]] "
        "![[Scaling laws#^fact]] [[Chinchilla]] [[Training compute-optimal models]]\n"
        "[md](<concepts/Scaling laws.md#key-results>) [enc](concepts/Scaling%20laws.md) "
        "![p](img/pic.png) ![[pic.png]]\n"
    ),
}


def test_renaming_a_note_rewrites_every_link_to_it_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, NOTES)
    _rename(tmp_path, "concepts/Scaling laws.md", "concepts/Power laws.md")
    index = (tmp_path / "notes" / "index.md").read_text()
    assert index == (
        "[[Power laws]] [[concepts/Power laws]] [[Power laws#Key results|the results]] "
        "![[Power laws#^fact]] [[Chinchilla]] [[Training compute-optimal models]]\n"
        "[md](<concepts/Power laws.md#key-results>) [enc](concepts/Power%20laws.md) "
        "![p](img/pic.png) ![[pic.png]]\n"
    )
    assert not (tmp_path / "notes" / "concepts" / "Scaling laws.md").exists()
    assert _links(tmp_path) == []


def test_a_link_by_title_or_alias_is_left_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, NOTES)
    _rename(tmp_path, "papers/Compute optimal.md", "papers/Hoffmann 2022.md")
    index = (tmp_path / "notes" / "index.md").read_text()
    assert "[[Chinchilla]] [[Training compute-optimal models]]" in index  # the alias and the title still reach it
    assert _links(tmp_path) == []


def test_moving_a_note_to_another_folder_fixes_its_own_relative_links(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, {**NOTES, "concepts/Other.md": "[up](../index.md) [[Scaling laws]]\n"})
    _rename(tmp_path, "concepts/Other.md", "deep/er/Other.md")
    assert (tmp_path / "notes" / "deep" / "er" / "Other.md").read_text() == "[up](../../index.md) [[Scaling laws]]\n"
    assert _links(tmp_path) == []


def test_renaming_a_folder_moves_its_notes_and_rewrites_links_into_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, NOTES)
    _rename(tmp_path, "concepts", "ideas")
    index = (tmp_path / "notes" / "index.md").read_text()
    assert "[[ideas/Scaling laws]]" in index and "[[Scaling laws]]" in index  # a bare name still reaches it
    assert "[md](<ideas/Scaling laws.md#key-results>)" in index
    assert (tmp_path / "notes" / "ideas" / "Scaling laws.md").exists()
    assert _links(tmp_path) == []


def test_renaming_an_attachment_rewrites_embeds_and_images(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, NOTES)
    _rename(tmp_path, "img/pic.png", "img/figure.png")
    index = (tmp_path / "notes" / "index.md").read_text()
    assert "![p](img/figure.png) ![[figure.png]]" in index
    assert _links(tmp_path) == []


def test_crlf_and_a_bom_are_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, NOTES)
    raw = "\ufeffFirst line\r\n\r\nSee [[Scaling laws]].\r\n".encode()
    (tmp_path / "notes" / "crlf.md").write_bytes(raw)
    _rename(tmp_path, "concepts/Scaling laws.md", "concepts/Power laws.md")
    assert (tmp_path / "notes" / "crlf.md").read_bytes() == "\ufeffFirst line\r\n\r\nSee [[Power laws]].\r\n".encode()


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("concepts/Scaling laws.md", "papers/Compute optimal.md", "already exists"),
        ("concepts/Gone.md", "concepts/New.md", "does not exist"),
        ("concepts", "concepts/inner", "into itself"),
        ("concepts/Scaling laws.md", "../outside.md", "not inside the notes folder"),
    ],
)
def test_a_rename_that_cannot_be_done_changes_nothing(tmp_path, monkeypatch, old, new, message):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, NOTES)
    before = _snapshot(tmp_path)
    with pytest.raises(RenameError, match=message):
        _rename(tmp_path, old, new)
    assert _snapshot(tmp_path) == before


def test_a_failure_while_moving_puts_every_file_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, NOTES)
    before = _snapshot(tmp_path)

    def refuse(*_a):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises(PermissionError):
        _rename(tmp_path, "concepts/Scaling laws.md", "concepts/Power laws.md")
    assert _snapshot(tmp_path) == before


def test_the_command_line_reports_and_a_dry_run_writes_nothing(tmp_path, run_cli):
    make_vault(tmp_path, NOTES)
    before = _snapshot(tmp_path)
    code, out, _ = run_cli(
        tmp_path, "rename", "notes/concepts/Scaling laws.md", "notes/concepts/Power laws.md", "--dry-run"
    )
    assert code == 0 and out.startswith(
        "would have renamed notes/concepts/Scaling laws.md to notes/concepts/Power laws.md"
    )
    assert "rewrote 6 links in 1 note" in out and _snapshot(tmp_path) == before
    code, _, err = run_cli(tmp_path, "rename", "notes/concepts/Scaling laws.md", "notes/papers/Compute optimal.md")
    assert code == 1 and "already exists" in err and _snapshot(tmp_path) == before


FORMS = [
    "[[{stem}]]",
    "[[{path}]]",
    "[[{stem}#Part]]",
    "[[{stem}#^b1|label]]",
    "![[{stem}]]",
    "[[{path}.md]]",
    "[x]({rel})",
    "[x](<{rel}#part>)",
]


@settings(
    max_examples=int(os.environ.get("FMKB_RENAME_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(seed=st.integers(0, 10**6))
def test_rename_then_rename_back_gives_identical_bytes(tmp_path_factory, seed):
    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("vault")
    folders = ["", "a/", "a/b/", "c/"]
    names = [f"{rng.choice(folders)}Note {i}" for i in range(6)]
    notes = {}
    for i, name in enumerate(names):
        lines = [f"# Note {i}", "", "## Part", "", "Text. ^b1", ""]
        for _ in range(rng.randint(1, 6)):
            target = rng.choice(names)
            rel = os.path.relpath(target + ".md", os.path.dirname(name) or ".").replace(" ", "%20")
            form = rng.choice(FORMS)
            stem = target.rsplit("/", 1)[-1]
            lines.append(form.format(stem=stem, path=target, rel=rel, encoded=target.replace(" ", "%20")))
        text = "\n".join(lines) + "\n"
        notes[name + ".md"] = text.replace("\n", "\r\n") if rng.random() < 0.2 else text
    make_vault(root, notes)
    cwd = os.getcwd()
    try:
        before = _snapshot(root)
        assert _links(root) == []
        moved = rng.choice(names)
        old = moved + ".md"
        if rng.random() < 0.3 and (root / "notes" / "a").is_dir():
            moved, old = "a", "a"  # a whole folder
        # into a folder: at the top of the vault a path link and a bare name are one, so a path
        # link to a note moved there comes back bare (see fmkb.rename)
        into = rng.choice(["z/", "c/"] if old == "a" else ["z/", "a/", "a/b/c/"])
        new = into + "Renamed " + moved.rsplit("/", 1)[-1] + ("" if old == "a" else ".md")
        if new == old or (root / "notes" / new).exists():
            return
        _rename(root, old, new)
        assert _links(root) == []  # no link broke
        _rename(root, new, old)
        assert _snapshot(root) == before
    finally:
        os.chdir(cwd)


def test_a_markdown_link_with_a_raw_space_follows_and_is_written_percent_encoded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, {"c/New Name.md": "# N\n", "b/Src.md": "[md](../c/New Name.md) [ok](<../c/New Name.md>)\n"})
    _rename(tmp_path, "c/New Name.md", "c/d/Other Name.md")
    assert (tmp_path / "notes" / "b" / "Src.md").read_text() == (
        "[md](../c/d/Other%20Name.md) [ok](<../c/d/Other Name.md>)\n"
    )
    assert _links(tmp_path) == []


@pytest.mark.parametrize(
    "new,message",
    [
        ("Paper [2020].md", "cannot be in a note's name"),
        (".hidden/Note.md", "would not publish it"),
        ("Don't.md", "cannot be written in its front matter"),
    ],
)
def test_a_name_a_link_could_not_hold_is_refused(tmp_path, monkeypatch, new, message):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, {"Note.md": "x\n", "S.md": "---\nrelated: '[[Note]]'\n---\n[[Note]]\n"})
    before = _snapshot(tmp_path)
    with pytest.raises(RenameError, match=message):
        _rename(tmp_path, "Note.md", new)
    assert _snapshot(tmp_path) == before


def test_file_modes_are_kept_and_a_read_only_note_is_not_rewritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, {"Note.md": "x\n", "Private.md": "[[Note]]\n", "Locked.md": "y\n"})
    (tmp_path / "notes" / "Private.md").chmod(0o600)
    _rename(tmp_path, "Note.md", "New.md")
    assert (tmp_path / "notes" / "Private.md").stat().st_mode & 0o777 == 0o600
    (tmp_path / "notes" / "Locked.md").write_text("[[New]]\n")
    (tmp_path / "notes" / "Locked.md").chmod(0o444)
    with pytest.raises(RenameError, match="read-only"):
        _rename(tmp_path, "New.md", "Newer.md")


def test_a_case_only_rename_respells_the_links(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, {"Note.md": "x\n", "S.md": "[[Note]] [[Note.md]] [x](Note.md)\n"})
    _rename(tmp_path, "Note.md", "note.md")
    assert (tmp_path / "notes" / "S.md").read_text() == "[[note]] [[note.md]] [x](note.md)\n"
    assert [d.rule for d in diags(tmp_path) if d.rule.startswith("link")] == []


def test_relative_and_rooted_wiki_links_keep_their_style_and_folders_left_empty_go(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_vault(tmp_path, {"a/Note.md": "x\n", "b/S.md": "[[../a/Note]] [[/a/Note]]\n"})
    before = _snapshot(tmp_path)
    _rename(tmp_path, "a/Note.md", "c/d/New.md")
    assert (tmp_path / "notes" / "b" / "S.md").read_text() == "[[../c/d/New]] [[/c/d/New]]\n"
    _rename(tmp_path, "c/d/New.md", "a/Note.md")
    assert _snapshot(tmp_path) == before and not (tmp_path / "notes" / "c").exists()


def test_a_bare_vault_can_be_renamed_in(tmp_path, run_cli):
    (tmp_path / "Note.md").write_text("x\n")
    (tmp_path / "S.md").write_text("[[Note]]\n")
    code, out, err = run_cli(tmp_path, "rename", "Note.md", "New.md")
    assert code == 0, err
    assert (tmp_path / "S.md").read_text() == "[[New]]\n"

"""`mkdocs serve` rebuilds: a note's check result is carried over while nothing it read has
changed, and the report after any edit is the report a fresh check gives."""

from __future__ import annotations

import random

import pytest

from conftest import make_vault
from fmkb.config import settings_from
from fmkb.engine import analyze
from fmkb.incremental import Carry

NOTES = {
    "A.md": "# A\n\n## Old\n\nText [@kaplan2020scaling].\n",
    "B.md": "# B\n\nSee [[A#Old]] and [[C]].\n",
    "C.md": "# C\n\nSee [[B]] and [[Missing]].\n",
    "D.md": "# D\n\nPlain [[B]].\n",
}


class CountingCarry(Carry):
    """A Carry that remembers which notes its last rebuild checked."""

    def to_check(self, *args):
        out = super().to_check(*args)
        self.checked = sorted(n.path for n in out)
        return out


class Serve:
    """One long-lived plugin's memos, as `mkdocs serve` keeps them."""

    def __init__(self, root):
        self.root = root
        self.notes_memo, self.bib_memo, self.carry = {}, {}, CountingCarry()

    @property
    def checked(self) -> list[str]:
        return self.carry.checked

    def settings(self):
        return settings_from(str(self.root / "mkdocs.yml"), str(self.root / "notes"))

    def rebuild(self):
        return analyze(self.settings(), self.notes_memo, self.bib_memo, self.carry).report

    def fresh(self):
        return analyze(self.settings()).report


def write(root, rel, text):
    (root / "notes" / rel).write_text(text, encoding="utf-8")


@pytest.fixture
def serve(tmp_path):
    make_vault(tmp_path, NOTES)
    s = Serve(tmp_path)
    s.rebuild()
    assert s.checked == sorted(NOTES)  # the first build checks everything
    return s


def test_an_unchanged_vault_checks_no_note_again(serve):
    report = serve.rebuild()
    assert serve.checked == []
    assert report == serve.fresh()


def test_a_body_edit_checks_only_that_note(serve):
    write(serve.root, "D.md", "# D\n\nPlain [[B]], and [[Nowhere]].\n")
    report = serve.rebuild()
    assert serve.checked == ["D.md"]
    assert report == serve.fresh()
    assert any(d.rule == "link-unresolved" and d.path.endswith("D.md") for d in report.diagnostics)


def test_a_renamed_heading_checks_the_notes_that_link_to_it(serve):
    write(serve.root, "A.md", "# A\n\n## New\n\nText [@kaplan2020scaling].\n")
    report = serve.rebuild()
    assert "B.md" in serve.checked and "D.md" not in serve.checked
    assert report == serve.fresh()
    assert any(d.path.endswith("B.md") and "Old" in d.message for d in report.diagnostics)


def test_a_new_note_checks_the_notes_with_a_link_that_found_nothing(serve):
    write(serve.root, "Missing.md", "# Missing\n\nNow here, linked from [[C]].\n")
    report = serve.rebuild()
    assert "C.md" in serve.checked and "D.md" not in serve.checked
    assert report == serve.fresh()
    assert not any(d.rule == "link-unresolved" for d in report.diagnostics)


def test_a_deleted_note_checks_the_notes_that_linked_to_it(serve):
    (serve.root / "notes" / "C.md").unlink()
    report = serve.rebuild()
    assert "B.md" in serve.checked and "D.md" not in serve.checked
    assert report == serve.fresh()


def test_an_edited_bibliography_checks_every_note(serve):
    bib = serve.root / "references.bib"
    bib.write_text(bib.read_text().replace("kaplan2020scaling", "kaplan2020other"))
    report = serve.rebuild()
    assert serve.checked == sorted(NOTES)
    assert report == serve.fresh()


def test_any_sequence_of_edits_reports_what_a_fresh_check_reports(tmp_path):
    rng = random.Random(7)
    names = ["A", "B", "C", "D", "E", "F"]
    make_vault(tmp_path, {f"{n}.md": f"# {n}\n\n## H1\n\nText.\n" for n in names[:3]})
    serve = Serve(tmp_path)
    serve.rebuild()
    for step in range(40):
        name = rng.choice(names)
        path = tmp_path / "notes" / f"{name}.md"
        if path.exists() and rng.random() < 0.2:
            path.unlink()
        else:
            links = " ".join(
                f"[[{rng.choice(names)}{rng.choice(['', '#H1', '#H2', '|x'])}]]" for _ in range(rng.randint(0, 3))
            )
            heading = rng.choice(["H1", "H2"])
            alias = f"aliases: [{rng.choice(names)}x]\n" if rng.random() < 0.3 else ""
            cite = rng.choice(["", " [@kaplan2020scaling]", " [@nokey2020]"])
            path.write_text(f"---\n{alias}---\n# {name}\n\n## {heading}\n\n{links}{cite}\n", encoding="utf-8")
        assert serve.rebuild() == serve.fresh(), step

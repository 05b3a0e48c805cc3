"""`fmkb new paper` without the network: from a BibTeX entry, or from a title, authors and year."""

from __future__ import annotations

import io

from conftest import BIB, make_vault

ZOTERO = """\
@inproceedings{Vaswani_Attention_2017,
  title = {Attention is {All} you {Need}},
  author = {Vaswani, Ashish and Shazeer, Noam and {Google Brain}},
  booktitle = {Advances in {Neural} {Information} {Processing} {Systems}},
  year = {2017},
  doi = {10.5555/3295222.3295349},
}
"""


def test_a_bibtex_entry_becomes_a_house_entry_and_a_note(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "[@kaplan2020scaling; @hoffmann2022training]\n"})
    (tmp_path / "entry.bib").write_text(ZOTERO)
    code, out, err = run_cli(tmp_path, "new", "paper", "--bibtex", "entry.bib")
    assert code == 0, err
    assert "added @vaswani2017attention" in out and "own key 'Vaswani_Attention_2017'" in out
    bib = (tmp_path / "references.bib").read_text()
    assert bib.startswith(BIB) and "@inproceedings{vaswani2017attention," in bib and "Shazeer, Noam" in bib
    note = (tmp_path / "notes" / "papers" / "Attention is All you Need.md").read_text()
    assert "cite: vaswani2017attention" in note and "## Key results" in note
    code, out, _ = run_cli(tmp_path, "check", "--format", "json")
    assert '"rule": "cite-unknown"' not in out


def test_a_bibtex_entry_from_standard_input(tmp_path, run_cli, monkeypatch):
    make_vault(tmp_path, {"index.md": "x\n"})
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(ZOTERO.encode())))
    code, out, err = run_cli(tmp_path, "new", "paper", "--bibtex", "-")
    assert code == 0 and "vaswani2017attention" in out, err


def test_bibtex_that_is_not_one_entry_is_refused_with_the_reason(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "x\n"})
    (tmp_path / "two.bib").write_text(ZOTERO + ZOTERO.replace("Vaswani_Attention_2017", "other"))
    before = (tmp_path / "references.bib").read_bytes()
    code, _, err = run_cli(tmp_path, "new", "paper", "--bibtex", "two.bib")
    assert code == 1 and "expected exactly one BibTeX entry, found 2 entries" in err
    (tmp_path / "broken.bib").write_text("@misc{x,\n title = {T,\n")
    code, _, err = run_cli(tmp_path, "new", "paper", "--bibtex", "broken.bib")
    assert code == 1 and "found 0 entries" in err and "does not parse" in err
    assert (tmp_path / "references.bib").read_bytes() == before and not (tmp_path / "notes" / "papers").exists()


def test_by_hand_with_title_authors_and_year(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "x\n"})
    args = ["new", "paper", "--offline", "--title", "Łukasz's Model: A Study", "--author", "Kaiser, Łukasz"]
    code, out, err = run_cli(
        tmp_path, *args, "--author", "Aaron van den Oord", "--year", "2021", "--arxiv", "2101.00001"
    )
    assert code == 0, err
    assert "added @kaiser2021lukasz" in out
    bib = (tmp_path / "references.bib").read_text()
    assert "{Kaiser, Łukasz and van den Oord, Aaron}" in bib and "{2101.00001}" in bib
    assert (tmp_path / "notes" / "papers" / "Łukasz's Model - A Study.md").exists()


def test_by_hand_needs_all_three(tmp_path, run_cli):
    make_vault(tmp_path, {"index.md": "x\n"})
    code, _, err = run_cli(tmp_path, "new", "paper", "--offline", "--title", "T")
    assert code == 2 and "--title, --author" in err


def test_a_paper_named_like_an_existing_note_warns(tmp_path, run_cli):
    make_vault(tmp_path, {"Attention.md": "---\naliases: [Attention is All you Need]\n---\nx\n"})
    (tmp_path / "entry.bib").write_text(ZOTERO)
    code, _, err = run_cli(tmp_path, "new", "paper", "--bibtex", "entry.bib")
    assert code == 0 and "warning: notes/Attention.md has the same name or alias" in err

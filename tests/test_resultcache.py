"""The check cache: a later `fmkb check` reuses each unchanged note's result, and its
diagnostics are always exactly those of a fresh check."""

from __future__ import annotations

import glob
import json
import random
from pathlib import Path

import pytest

import fmkb.engine as engine
import fmkb.executor as executor
import fmkb.load as load
import fmkb.replay as replay
from conftest import BIB, make_vault
from fmkb import cachefile
from fmkb.cachefile import default_dir
from fmkb.config import settings_from
from fmkb.diagnostics import render_json, summarize

NOTES = {
    "A.md": """\
        ---
        title: Alpha
        aliases: [First]
        ---
        # Alpha

        See [[B#Intro]], [[B#^fact]], [[Missing]] and [@kaplan2020scaling].
        Also [@nobody2021x] and <script>x</script> and <kbd>k</kbd>.
        """,
    "B.md": """\
        # Bee

        ## Intro

        A fact. ^fact

        Back to [[Alpha]] and [[First]].
        """,
    "sub/C.md": "Cites [@hoffmann2022training; @kaplan2020scaling, p. 4] and [[A]].\n",
}


def _settings(root: Path, **options):
    return settings_from(str(root / "mkdocs.yml"), str(root / "notes"), options)


def _result(r) -> str:
    return render_json(r.diagnostics, summarize(r.diagnostics, r.notes, r.links, r.citations))


def _fresh(root: Path, **options) -> str:
    return _result(engine.analyze(_settings(root, cache_dir="", **options)).report)


def _reused(root: Path, **options) -> str:
    return _result(engine.check(_settings(root, **options)))


@pytest.fixture
def parses(monkeypatch):
    """The paths of the notes the engine parses."""
    seen: list[str] = []
    real = load.load_note
    monkeypatch.setattr(load, "load_note", lambda rel, *a: seen.append(rel) or real(rel, *a))
    return seen


def _rules(result: str, path: str) -> list[str]:
    return [d["rule"] for d in json.loads(result)["diagnostics"] if d["path"] == path]


def test_unchanged_vault_is_neither_parsed_nor_checked_again(tmp_path, parses, monkeypatch):
    make_vault(tmp_path, NOTES)
    first = _reused(tmp_path)
    assert sorted(parses) == ["A.md", "B.md", "sub/C.md"]
    parses.clear()
    monkeypatch.setattr(executor, "check_notes", lambda *a: pytest.fail("checked again"))
    assert _reused(tmp_path) == first
    assert parses == []


def test_a_reused_result_equals_a_fresh_check(tmp_path):
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    again = _reused(tmp_path)
    assert again == _fresh(tmp_path)
    assert set(_rules(again, "notes/A.md")) == {"link-unresolved", "cite-unknown", "html-unsafe"}


def test_an_edited_note_is_the_only_one_parsed_again(tmp_path, parses):
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    parses.clear()
    (tmp_path / "notes/sub/C.md").write_text("Now [[Nowhere]].\n")
    result = _reused(tmp_path)
    assert parses == ["sub/C.md"]
    assert _rules(result, "notes/sub/C.md") == ["link-unresolved"]
    assert result == _fresh(tmp_path)


QUIET = {f"n{i}.md": f"# N{i}\n\n[[n{(i + 1) % 8}]] and [@kaplan2020scaling].\n" for i in range(8)}


def test_editing_a_heading_parses_again_only_the_notes_that_link_to_it(tmp_path, parses):
    make_vault(tmp_path, {**QUIET, "Target.md": "# T\n\n## Intro\n", "Linker.md": "[[Target#Intro]]\n"})
    _reused(tmp_path)
    parses.clear()
    (tmp_path / "notes/Target.md").write_text("# T\n\n## Overview\n")
    result = _reused(tmp_path)
    assert sorted(parses) == ["Linker.md", "Target.md"]
    assert _rules(result, "notes/Linker.md") == ["link-heading"]
    assert result == _fresh(tmp_path)


def test_a_new_alias_parses_again_the_notes_that_looked_that_name_up(tmp_path, parses):
    make_vault(tmp_path, {**QUIET, "Target.md": "# T\n", "Linker.md": "[[Tee]]\n", "Other.md": "[[n1]]\n"})
    assert _rules(_reused(tmp_path), "notes/Linker.md") == ["link-unresolved"]
    parses.clear()
    (tmp_path / "notes/Target.md").write_text("---\naliases: [Tee]\n---\n# T\n")
    result = _reused(tmp_path)
    assert sorted(parses) == ["Linker.md", "Target.md"]
    assert _rules(result, "notes/Linker.md") == []
    assert result == _fresh(tmp_path)


def test_a_new_note_can_change_the_hint_of_an_unresolved_link(tmp_path, parses):
    make_vault(tmp_path, {**QUIET, "Linker.md": "[[Targit]]\n"})
    assert "did you mean" not in _reused(tmp_path)
    parses.clear()
    (tmp_path / "notes/Target.md").write_text("# Target\n")
    result = _reused(tmp_path)
    assert sorted(parses) == ["Linker.md", "Target.md"]
    assert "did you mean [[Target]]?" in result
    assert result == _fresh(tmp_path)


def test_a_new_note_parses_again_only_notes_whose_links_it_could_answer(tmp_path, parses):
    make_vault(tmp_path, {**QUIET, "Linker.md": "[[n3]]\n"})
    _reused(tmp_path)
    parses.clear()
    (tmp_path / "notes/sub").mkdir()
    (tmp_path / "notes/sub/n3.md").write_text("# Another n3\n")
    result = _reused(tmp_path)
    assert sorted(parses) == ["Linker.md", "n2.md", "sub/n3.md"]  # n2 links [[n3]] too
    assert result == _fresh(tmp_path)


def test_editing_a_heading_rechecks_the_links_to_it(tmp_path):
    make_vault(tmp_path, NOTES)
    assert "link-heading" not in _rules(_reused(tmp_path), "notes/A.md")
    (tmp_path / "notes/B.md").write_text("# Bee\n\n## Overview\n\nA fact. ^fact\n")
    assert "link-heading" in _rules(_reused(tmp_path), "notes/A.md")


def test_removing_a_block_id_rechecks_the_links_to_it(tmp_path):
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    (tmp_path / "notes/B.md").write_text("# Bee\n\n## Intro\n\nA fact.\n")
    assert "link-block" in _rules(_reused(tmp_path), "notes/A.md")


def test_deleting_a_note_breaks_the_links_to_it(tmp_path):
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    (tmp_path / "notes/B.md").unlink()
    result = _reused(tmp_path)
    assert _rules(result, "notes/A.md").count("link-unresolved") == 3
    assert result == _fresh(tmp_path)


def test_a_new_note_with_the_same_name_makes_links_ambiguous(tmp_path):
    make_vault(tmp_path, {**NOTES, "x/Gamma.md": "one\n", "Links.md": "[[Gamma]]\n"})
    assert _rules(_reused(tmp_path), "notes/Links.md") == []
    (tmp_path / "notes/y").mkdir()
    (tmp_path / "notes/y/Gamma.md").write_text("another\n")
    assert _rules(_reused(tmp_path), "notes/Links.md") == ["link-ambiguous"]


def test_renaming_an_alias_rechecks_links_by_alias(tmp_path):
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    text = (tmp_path / "notes/A.md").read_text().replace("[First]", "[Premier]")
    (tmp_path / "notes/A.md").write_text(text)
    assert _rules(_reused(tmp_path), "notes/B.md") == ["link-unresolved"]


def test_a_new_bib_entry_clears_an_unknown_citation(tmp_path):
    make_vault(tmp_path, NOTES)
    assert "cite-unknown" in _rules(_reused(tmp_path), "notes/A.md")
    entry = "@misc{nobody2021x, title = {T}, author = {Nobody, N.}, year = {2021}, howpublished = {web}}\n"
    (tmp_path / "references.bib").write_text(BIB + entry)
    result = _reused(tmp_path)
    assert "cite-unknown" not in _rules(result, "notes/A.md")
    assert result == _fresh(tmp_path)


PAPER = "---\nkind: paper\ntitle: T\ncite: hoffmann2022training\nyear: 2022\n---\nText.\n"


def test_a_bib_edit_parses_again_only_the_notes_citing_what_changed(tmp_path, parses):
    make_vault(tmp_path, {**QUIET, "Paper.md": PAPER, "Plain.md": "No citations.\n"})
    assert _rules(_reused(tmp_path), "notes/Paper.md") == []
    parses.clear()
    (tmp_path / "references.bib").write_text(BIB.replace("year      = {2022}", "year      = {2023}"))
    result = _reused(tmp_path)
    assert parses == ["Paper.md"]
    assert _rules(result, "notes/Paper.md") == ["paper-cite"]
    assert result == _fresh(tmp_path)


def test_a_bib_edit_that_changes_no_key_or_year_parses_no_note(tmp_path, parses):
    make_vault(tmp_path, {**QUIET, "Paper.md": PAPER})
    _reused(tmp_path)
    parses.clear()
    (tmp_path / "references.bib").write_text(BIB.replace("Scaling Laws", "Scaling laws"))
    result = _reused(tmp_path)
    assert parses == []
    assert result == _fresh(tmp_path)


def test_a_new_bib_entry_parses_again_notes_with_unknown_keys(tmp_path, parses):
    make_vault(tmp_path, {**QUIET, "Typo.md": "[@kaplan2020scalin]\n"})
    _reused(tmp_path)
    parses.clear()
    entry = "@misc{kaplan2020scalingb, title = {T}, author = {K, J}, year = {2020}, howpublished = {web}}\n"
    (tmp_path / "references.bib").write_text(BIB + entry)
    result = _reused(tmp_path)
    assert parses == ["Typo.md"]  # its "did you mean" may now name the new key
    assert result == _fresh(tmp_path)


def test_another_fmkb_is_a_cache_miss(tmp_path, parses, monkeypatch):
    """An edited rule must not replay results the old code found (a cache restored in CI, say)."""
    import fmkb.bibcache as bibcache

    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    parses.clear()
    monkeypatch.setattr(replay, "code_digest", lambda: "edited")
    monkeypatch.setattr(bibcache, "code_digest", lambda: "edited")
    bib_parses = []
    real = bibcache.parse_bibliography_bytes
    monkeypatch.setattr(bibcache, "parse_bibliography_bytes", lambda *a: bib_parses.append(1) or real(*a))
    again = _reused(tmp_path)
    assert sorted(parses) == ["A.md", "B.md", "sub/C.md"] and bib_parses == [1]
    assert again == _fresh(tmp_path)


def test_a_settings_change_is_a_cache_miss(tmp_path):
    make_vault(tmp_path, NOTES)
    assert _rules(_reused(tmp_path, allow_html=["b"]), "notes/A.md").count("html-unsafe") == 2
    assert _rules(_reused(tmp_path, allow_html=["kbd"]), "notes/A.md").count("html-unsafe") == 1


def _cache_file(root: Path) -> Path:
    (found,) = glob.glob(str(Path(default_dir(str(root))) / "check-*.json"))
    return Path(found)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: "not json {",
        lambda data: "[]",
        lambda data: json.dumps({**data, "notes": []}),
        lambda data: json.dumps({**data, "notes": {p: ["x"] for p in data["notes"]}}),
        lambda data: json.dumps(
            {**data, "notes": {p: [*row[:1], ["t", [], [[1, "x"]], []], *row[2:]] for p, row in data["notes"].items()}}
        ),
        lambda data: json.dumps(
            {
                **data,
                "notes": {
                    p: [*row[:3], [["p", "l", 1, "r", "m", None, "x"]], *row[4:]] for p, row in data["notes"].items()
                },
            }
        ),
    ],
    ids=["not-json", "not-a-mapping", "notes-not-a-mapping", "short-rows", "bad-identity", "bad-diagnostic"],
)
def test_a_damaged_cache_is_ignored(tmp_path, damage):
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    cache = str(_cache_file(tmp_path))
    cachefile.write(cache, damage(json.loads(cachefile.read(cache))))  # sealed, as if fmkb had written it
    assert _reused(tmp_path) == _fresh(tmp_path)


def test_a_planted_cache_changes_nothing(tmp_path):
    """A cache file edited or written by anyone but this machine's fmkb (say, committed in a
    pull request) is not trusted: the edited row that would hide an error is ignored."""
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    cache = _cache_file(tmp_path)
    data = json.loads(cachefile.read(str(cache)))
    data["notes"]["A.md"][3] = []  # no diagnostics for A.md
    cache.write_text(json.dumps(data))  # unsealed
    assert "html-unsafe" in _rules(_reused(tmp_path), "notes/A.md")
    cache.write_bytes(b"fmkb-cache-v1 " + b"0" * 64 + b"\n" + json.dumps(data).encode())  # a forged seal
    assert "html-unsafe" in _rules(_reused(tmp_path), "notes/A.md")


def test_a_cached_string_where_a_list_belongs_is_not_trusted(tmp_path):
    make_vault(tmp_path, {**QUIET, "Target.md": "# Tee\n\n## Intro\n", "Linker.md": "[[Target#Intro]]\n"})
    _reused(tmp_path)
    cache = str(_cache_file(tmp_path))
    data = json.loads(cachefile.read(cache))
    data["notes"]["Linker.md"][8] = "target"  # its looked-up keys, as a string: iterating gives letters
    cachefile.write(cache, json.dumps(data))
    (tmp_path / "notes/Target.md").write_text("# Tee\n\n## Overview\n")
    assert _rules(_reused(tmp_path), "notes/Linker.md") == ["link-heading"]


def test_the_cache_file_is_json_and_names_no_note_text(tmp_path):
    make_vault(tmp_path, NOTES)
    _reused(tmp_path)
    text = cachefile.read(str(_cache_file(tmp_path)))
    assert set(json.loads(text)["notes"]) == {"A.md", "B.md", "sub/C.md"}
    assert "A fact." not in text


def test_split_check_fills_the_cache_for_the_next_run(tmp_path, parses, monkeypatch):
    make_vault(tmp_path, {**NOTES, **{f"n{i}.md": f"# N{i}\n\n[[n{(i + 1) % 12}]]\n" for i in range(12)}})
    monkeypatch.setattr(executor, "SPLIT_NOTES", 4)
    settings = _settings(tmp_path)
    first = _result(engine.check(settings))
    assert first == _fresh(tmp_path)
    parses.clear()
    assert _result(engine.check(settings)) == first
    assert parses == []


def test_cli_no_cache_writes_no_cache_folder(tmp_path, run_cli):
    make_vault(tmp_path, NOTES)
    code, out, _ = run_cli(tmp_path, "check", "--no-cache", "--format", "json")
    assert code == 1 and json.loads(out)["summary"]["errors"] > 0
    assert not Path(default_dir(str(tmp_path))).exists()


def test_cli_second_run_prints_the_same_report(tmp_path, run_cli):
    make_vault(tmp_path, NOTES)
    first = run_cli(tmp_path, "check")
    assert _cache_file(tmp_path).is_file()
    assert run_cli(tmp_path, "check") == first


def _edit(rng: random.Random, root: Path, step: int) -> None:
    notes = root / "notes"
    existing = sorted(p for p in notes.rglob("*.md"))
    names = [p.stem for p in existing] + ["Ghost", "Alpha", "First"]
    choice = rng.randrange(7)
    target = rng.choice(existing) if existing else notes / "A.md"
    if choice == 0 or not existing:  # a new note, maybe clashing with an old name
        folder = rng.choice(["", "sub/", "deep/er/"])
        path = notes / f"{folder}{rng.choice(names + [f'new{step}'])}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# H{step}\n\n[[{rng.choice(names)}]]\n")
    elif choice == 1:
        target.unlink()
    elif choice == 2:  # a heading or block id appears or goes
        heading = rng.choice(["Intro", "Overview", f"S{step}"])
        block = rng.choice(["", " ^fact", " ^other"])
        target.write_text(target.read_text() + f"\n## {heading}\n\nText.{block}\n")
    elif choice == 3:  # a link to somewhere, maybe a heading or block
        suffix = rng.choice(["", "#Intro", "#^fact", "#Overview"])
        target.write_text(target.read_text() + f"\nSee [[{rng.choice(names)}{suffix}]].\n")
    elif choice == 4:  # title or aliases
        target.write_text(f"---\ntitle: {rng.choice(names)}\naliases: [{rng.choice(names)}]\n---\n" + "body\n")
    elif choice == 5:  # the bibliography gains or loses an entry
        extra = "@misc{nobody2021x, title = {T}, author = {N, N}, year = {2021}, howpublished = {w}}\n"
        (root / "references.bib").write_text(BIB + (extra if rng.random() < 0.5 else ""))
    else:  # a citation
        target.write_text(target.read_text() + f"\n[@{rng.choice(['kaplan2020scaling', 'nobody2021x'])}]\n")


@pytest.mark.parametrize("seed", range(4))
def test_reused_results_equal_fresh_ones_through_random_edits(tmp_path, seed, monkeypatch):
    make_vault(tmp_path, NOTES)
    rng = random.Random(seed)
    for step in range(25):
        _edit(rng, tmp_path, step)
        monkeypatch.setattr(executor, "SPLIT_NOTES", rng.choice([2, 3000]))
        settings = _settings(tmp_path)
        assert _result(engine.check(settings)) == _fresh(tmp_path), f"step {step}"

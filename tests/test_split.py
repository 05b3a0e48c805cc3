"""A large vault checked by two processes gives exactly the serial result."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
from pathlib import Path

import pytest

import fmkb.bibcache as bibcache
import fmkb.engine as engine
import fmkb.executor as executor
import fmkb.fork as fork
import fmkb.load as load
from fmkb.config import load_settings
from fmkb.diagnostics import render_json, summarize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate  # noqa: E402


def _json(r) -> str:
    return render_json(r.diagnostics, summarize(r.diagnostics, r.notes, r.links, r.citations))


def test_split_check_equals_serial_check(tmp_path, monkeypatch):
    generate(tmp_path, 400, 300, seed=7)
    (tmp_path / "notes" / "concepts" / "Bad.md").write_text("[[Nope]] <script>x</script> [@nobody2020x]\n")
    key = re.search(r"@\w+\{([^,]+),", (tmp_path / "references.bib").read_text()).group(1)
    paper = f"---\nkind: paper\ncite: {key}\nyear: 1900\n---\nText.\n"
    for i in range(40):  # spread over both processes: the year is checked against the bib entry
        (tmp_path / "notes" / "papers" / f"Year {i}.md").write_text(paper)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    serial = engine.analyze(settings).report
    monkeypatch.setattr(executor, "SPLIT_NOTES", 10)
    calls = []
    real = executor.two_processes
    monkeypatch.setattr(executor, "two_processes", lambda *a: calls.append(1) or real(*a))
    split = engine.check(settings, cache=False)
    assert calls == [1]
    assert _json(split) == _json(serial)
    bad = [(d.rule, d.line, d.column) for d in split.diagnostics if d.path == "notes/concepts/Bad.md"]
    assert bad == [("link-unresolved", 1, 1), ("html-unsafe", 1, 10), ("cite-unknown", 1, 30)]
    years = [d for d in split.diagnostics if d.rule == "paper-cite" and "1900" in d.message]
    assert len(years) == 40


def test_small_vaults_are_not_split(tmp_path, monkeypatch):
    generate(tmp_path, 50, 60, seed=3)
    calls = []
    monkeypatch.setattr(executor, "two_processes", lambda *a: calls.append(1))
    engine.check(load_settings(str(tmp_path / "mkdocs.yml")))
    assert calls == []


def test_a_worker_that_fails_leaves_the_result_whole_and_prints_nothing(tmp_path, monkeypatch, capfd):
    import os

    generate(tmp_path, 60, 40, seed=5)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    serial = engine.analyze(settings).report
    monkeypatch.setattr(executor, "SPLIT_NOTES", 10)
    parent = os.getpid()
    real = executor.check_notes

    def failing_in_the_worker(*a):
        if os.getpid() != parent:
            raise RuntimeError("worker bug")
        return real(*a)

    monkeypatch.setattr(executor, "check_notes", failing_in_the_worker)
    assert _json(engine.check(settings, cache=False)) == _json(serial)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "worker bug" not in out + err


def test_on_one_core_a_large_vault_is_checked_in_one_process_with_the_same_result(tmp_path, monkeypatch):
    generate(tmp_path, 60, 40, seed=9)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    serial = engine.analyze(settings).report
    monkeypatch.setattr(executor, "SPLIT_NOTES", 10)
    monkeypatch.setattr(fork, "usable_cores", lambda: 1)
    monkeypatch.setattr(executor, "two_processes", lambda *a: pytest.fail("split on one core"))
    assert _json(engine.check(settings)) == _json(serial)


def test_a_large_uncached_bibliography_parsed_on_the_other_core_gives_the_same_result(tmp_path, monkeypatch):
    generate(tmp_path, 40, 60, seed=11)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    expected = _json(engine.analyze(dataclasses.replace(settings, cache_dir="")).report)
    asides = []
    real = bibcache.call_aside
    monkeypatch.setattr(bibcache, "call_aside", lambda *a: asides.append(1) or real(*a))
    monkeypatch.setattr(bibcache, "PARALLEL_BIB_BYTES", 0)
    assert _json(engine.check(settings)) == expected  # the CLI's path, cold
    parsed = []
    real_load = load.load_note
    monkeypatch.setattr(load, "load_note", lambda *a: parsed.append(1) or real_load(*a))
    assert _json(engine.check(settings)) == expected  # it cached what it found
    assert parsed == []
    shutil.rmtree(settings.cache_dir)
    monkeypatch.setattr(load, "load_note", real_load)
    assert _json(engine.analyze(settings).report) == expected  # the plugin's path, cold
    assert asides == [1, 1]


def test_the_core_count_honours_cpu_affinity():
    import os

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this system")
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert fork.usable_cores() == 1 and not fork.can_fork()
    finally:
        os.sched_setaffinity(0, before)


def _lean_vault(tmp_path: Path) -> None:
    """A generated vault plus the notes whose checks read other notes' text or their own."""
    generate(tmp_path, 120, 80, seed=13)
    notes = tmp_path / "notes" / "concepts"
    target = "# Target\n\n## Custom heading {#own-id}\n\nText. ^fact\n\n## Plain part\n\nMore.\n"
    (notes / "Target.md").write_text(target)
    (notes / "Anchored.md").write_text(
        "# Anchored\n\n[ok](Target.md#own-id) [bad](Target.md#custom-heading) [[Target#Plain part]]\n\n"
        "![[Target]] ![[Target#^fact]] <script>x</script> [[target]] [@nobody2020x]\n"
    )


@pytest.mark.parametrize("cores", [1, 2])
def test_a_lean_check_reads_texts_back_and_equals_the_serial_check(tmp_path, monkeypatch, cores):
    _lean_vault(tmp_path)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    serial = engine.analyze(settings).report
    monkeypatch.setattr(executor, "SPLIT_NOTES", 10)
    monkeypatch.setattr(executor, "LEAN_NOTES", 10)
    monkeypatch.setattr(executor, "TRIM_EVERY", 7)
    monkeypatch.setattr(fork, "usable_cores", lambda: cores)
    reads = []
    real = load.NoteFiles.text_again
    monkeypatch.setattr(load.NoteFiles, "text_again", lambda self, rel: reads.append(rel) or real(self, rel))
    lean = engine.check(settings, cache=False)
    assert _json(lean) == _json(serial)
    if cores == 1:  # (the other process's reads are not seen here)
        assert len(reads) >= len(list((tmp_path / "notes").rglob("*.md"))) // 2
    rules = {d.rule for d in lean.diagnostics if d.path == "notes/concepts/Anchored.md"}
    assert {"md-link-anchor", "html-unsafe", "cite-unknown"} <= rules


@pytest.mark.parametrize("name", ["Anchored", "Target"])  # Target: its text is kept for the anchors into it
def test_a_note_edited_between_parsing_and_checking_is_reported_and_not_cached(tmp_path, monkeypatch, name):
    _lean_vault(tmp_path)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    monkeypatch.setattr(executor, "LEAN_NOTES", 10)
    monkeypatch.setattr(fork, "usable_cores", lambda: 1)
    edited = tmp_path / "notes" / "concepts" / f"{name}.md"
    real = executor._anchored_targets

    def edit_then_go_on(*a):  # after every note is parsed, before any text is read back
        edited.write_text(edited.read_text() + "\nAn edit.\n")
        return real(*a)

    monkeypatch.setattr(executor, "_anchored_targets", edit_then_go_on)
    report = engine.check(settings)
    found = [d for d in report.diagnostics if d.path == f"notes/concepts/{name}.md"]
    assert [(d.rule, d.message) for d in found] == [("file-unreadable", "changed while it was being checked")]
    assert found[0].hint == "run the check again"
    assert not list(Path(settings.cache_dir).glob("check-*.json"))  # nothing cached for unscanned bytes


def test_a_lean_split_check_takes_only_what_checking_reads_of_a_bibliography_parsed_aside(tmp_path, monkeypatch):
    _lean_vault(tmp_path)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    expected = _json(engine.analyze(dataclasses.replace(settings, cache_dir="")).report)
    monkeypatch.setattr(executor, "SPLIT_NOTES", 10)
    monkeypatch.setattr(executor, "LEAN_NOTES", 10)
    monkeypatch.setattr(bibcache, "PARALLEL_BIB_BYTES", 0)
    monkeypatch.setattr(fork, "usable_cores", lambda: 2)
    kept = []
    real = bibcache.BibSource.get
    monkeypatch.setattr(bibcache.BibSource, "get", lambda self: kept.append(real(self)[0]) or real(self))
    assert _json(engine.check(settings)) == expected
    assert kept and all(len(e.fields) <= 1 for bib in kept for e in bib.entries.values())  # years only
    assert all(e.line > 0 for e in kept[-1].entries.values())  # bib-unused points at each entry
    whole = bibcache.BibSource(settings.bibliography, "references.bib", settings.cache_dir).get()[0]
    assert any("title" in e.fields for e in whole.entries.values())  # the cache holds it whole


def test_what_checking_reads_of_a_bibliography_keeps_years_lines_and_diagnostics():
    from fmkb.bibliography import parse_bibliography

    text = "@misc{a2020x, title={T}, year={2020}, howpublished={w}}\n\n@misc{broken, title={T}\n\n@misc{b, title={U}}\n"
    bib = parse_bibliography(text, "refs.bib")
    light = bib.for_checking()
    assert light.years() == bib.years() and light.diagnostics == bib.diagnostics
    assert {k: e.line for k, e in light.entries.items()} == {k: e.line for k, e in bib.entries.items()}
    assert light.unknown_key("broken") == bib.unknown_key("broken")

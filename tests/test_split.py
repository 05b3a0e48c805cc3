"""A large vault checked by two processes gives exactly the serial result."""

from __future__ import annotations

import dataclasses
import re
import shutil
import sys
from pathlib import Path

import pytest

import fmkb.engine as engine
from fmkb.config import load_settings
from fmkb.diagnostics import render_json, summarize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import generate  # noqa: E402


def _json(analysis) -> str:
    r = analysis.report
    return render_json(r.diagnostics, summarize(r.diagnostics, r.notes, r.links, r.citations))


def test_split_check_equals_serial_check(tmp_path, monkeypatch):
    generate(tmp_path, 400, 300, seed=7)
    (tmp_path / "notes" / "concepts" / "Bad.md").write_text("[[Nope]] <script>x</script> [@nobody2020x]\n")
    key = re.search(r"@\w+\{([^,]+),", (tmp_path / "references.bib").read_text()).group(1)
    paper = f"---\nkind: paper\ncite: {key}\nyear: 1900\n---\nText.\n"
    for i in range(40):  # spread over both processes: the year is checked against the bib entry
        (tmp_path / "notes" / "papers" / f"Year {i}.md").write_text(paper)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    serial = engine.analyze(settings)
    monkeypatch.setattr(engine, "SPLIT_NOTES", 10)
    calls = []
    real = engine._analyze_split
    monkeypatch.setattr(engine, "_analyze_split", lambda *a: calls.append(1) or real(*a))
    split = engine.analyze(settings, split=True)
    assert calls == [1]
    assert _json(split) == _json(serial)
    bad = [(d.rule, d.line, d.column) for d in split.report.diagnostics if d.path == "notes/concepts/Bad.md"]
    assert bad == [("link-unresolved", 1, 1), ("html-unsafe", 1, 10), ("cite-unknown", 1, 30)]
    years = [d for d in split.report.diagnostics if d.rule == "paper-cite" and "1900" in d.message]
    assert len(years) == 40


def test_small_vaults_are_not_split(tmp_path, monkeypatch):
    generate(tmp_path, 50, 60, seed=3)
    calls = []
    monkeypatch.setattr(engine, "_analyze_split", lambda *a: calls.append(1))
    engine.analyze(load_settings(str(tmp_path / "mkdocs.yml")), split=True)
    assert calls == []


def test_a_worker_that_fails_leaves_the_result_whole_and_prints_nothing(tmp_path, monkeypatch, capfd):
    import os

    generate(tmp_path, 60, 40, seed=5)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    serial = engine.analyze(settings)
    monkeypatch.setattr(engine, "SPLIT_NOTES", 10)
    parent = os.getpid()
    real = engine.check_notes

    def failing_in_the_worker(*a):
        if os.getpid() != parent:
            raise RuntimeError("worker bug")
        return real(*a)

    monkeypatch.setattr(engine, "check_notes", failing_in_the_worker)
    assert _json(engine.analyze(settings, split=True)) == _json(serial)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "worker bug" not in out + err


def test_on_one_core_a_large_vault_is_checked_in_one_process_with_the_same_result(tmp_path, monkeypatch):
    generate(tmp_path, 60, 40, seed=9)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    serial = engine.analyze(settings)
    monkeypatch.setattr(engine, "SPLIT_NOTES", 10)
    monkeypatch.setattr(engine, "usable_cores", lambda: 1)
    monkeypatch.setattr(engine, "_analyze_split", lambda *a: pytest.fail("split on one core"))
    assert _json(engine.analyze(settings, split=True, reuse=True)) == _json(serial)


def test_a_large_uncached_bibliography_parsed_on_the_other_core_gives_the_same_result(tmp_path, monkeypatch):
    generate(tmp_path, 40, 60, seed=11)
    settings = load_settings(str(tmp_path / "mkdocs.yml"))
    expected = _json(engine.analyze(dataclasses.replace(settings, cache_dir="")))
    pools = []
    real = engine.ProcessPoolExecutor
    monkeypatch.setattr(engine, "ProcessPoolExecutor", lambda *a, **k: pools.append(1) or real(*a, **k))
    monkeypatch.setattr(engine, "PARALLEL_BIB_BYTES", 0)
    assert _json(engine.analyze(settings, reuse=True)) == expected  # the CLI's path, cold
    parsed = []
    real_load = engine.load_note
    monkeypatch.setattr(engine, "load_note", lambda *a: parsed.append(1) or real_load(*a))
    assert _json(engine.analyze(settings, reuse=True)) == expected  # it cached what it found
    assert parsed == []
    shutil.rmtree(settings.cache_dir)
    assert _json(engine.analyze(settings)) == expected  # the plugin's path, cold
    assert pools == [1, 1]


def test_the_core_count_honours_cpu_affinity():
    import os

    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this system")
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert engine.usable_cores() == 1 and not engine._can_fork()
    finally:
        os.sched_setaffinity(0, before)

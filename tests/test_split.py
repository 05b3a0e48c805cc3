"""A large vault checked by two processes gives exactly the serial result."""

from __future__ import annotations

import sys
from pathlib import Path

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


def test_small_vaults_are_not_split(tmp_path, monkeypatch):
    generate(tmp_path, 50, 60, seed=3)
    calls = []
    monkeypatch.setattr(engine, "_analyze_split", lambda *a: calls.append(1))
    engine.analyze(load_settings(str(tmp_path / "mkdocs.yml")), split=True)
    assert calls == []

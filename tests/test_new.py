"""`fmkb new`: a paper from arXiv or a DOI, against a local server with recorded responses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from werkzeug import Response

from conftest import BIB, api_yml, make_vault

FIXTURES = Path(__file__).parent / "fixtures"
ARXIV = (FIXTURES / "arxiv_2203.02155.xml").read_text()
CROSSREF = (FIXTURES / "crossref_s41586-021-03819-2.json").read_text()
DOI = "10.1038/s41586-021-03819-2"


site_yml = api_yml


@pytest.fixture
def repo(tmp_path, httpserver):
    make_vault(
        tmp_path, {"index.md": "# Home\n\n[@kaplan2020scaling; @hoffmann2022training]\n"}, mkdocs=site_yml(httpserver)
    )
    return tmp_path


@pytest.fixture
def run(run_cli):
    return run_cli


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def serve_arxiv(httpserver, body=ARXIV, status=200, **kw):
    httpserver.expect_request(
        "/api/query", query_string={"id_list": "2203.02155", "max_results": "1"}
    ).respond_with_data(body, status=status, content_type="application/atom+xml", **kw)


def test_new_paper_from_arxiv_adds_entry_and_note(repo, run, httpserver):
    serve_arxiv(httpserver)
    before = (repo / "references.bib").read_bytes()
    code, out, _ = run(repo, "new", "paper", "--arxiv", "2203.02155")
    assert code == 0, out
    after = (repo / "references.bib").read_bytes()
    assert after.startswith(before)  # the rest of the file, byte for byte
    added = after[len(before) :].decode()
    assert "@misc{ouyang2022training," in added
    assert "title         = {Training language models to follow instructions with human feedback}" in added
    assert "eprint        = {2203.02155}" in added and "archivePrefix = {arXiv}" in added
    assert "author        = {Ouyang, Long and Wu, Jeff and" in added and "and others}" in added
    note = repo / "notes" / "papers" / "Training language models to follow instructions with human feedback.md"
    text = note.read_text()
    assert "cite: ouyang2022training\nyear: 2022\n" in text and "[@ouyang2022training]" in text
    assert "created notes/papers/Training language models" in out


def test_new_paper_then_check_and_strict_build_pass(repo, run, httpserver):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    serve_arxiv(httpserver)
    assert run(repo, "new", "paper", "--arxiv", "arXiv:2203.02155v1")[0] == 0
    code, out, _ = run(repo, "check")
    assert code == 0, out
    build(load_config(str(repo / "mkdocs.yml"), strict=True, site_dir=str(repo / "site")))
    page = (
        repo / "site" / "papers" / "training-language-models-to-follow-instructions-with-human-feedback" / "index.html"
    )
    assert "Ouyang et al., 2022" in page.read_text()


def test_new_paper_from_doi(repo, run, httpserver):
    httpserver.expect_request(f"/works/{DOI}").respond_with_data(CROSSREF, content_type="application/json")
    code, out, err = run(repo, "new", "paper", "--doi", f"https://doi.org/{DOI}")
    assert code == 0, err
    added = (repo / "references.bib").read_text()
    assert "@article{jumper2021highly," in added
    assert "journal   = {Nature}" in added and "pages     = {583--589}" in added and f"doi       = {{{DOI}}}" in added
    assert "Žídek, Augustin" in added


def test_refuses_a_paper_already_in_the_bibliography(repo, run, httpserver):
    (repo / "notes" / "k.md").write_text("---\nkind: paper\ncite: kaplan2020scaling\n---\n")
    before = snapshot(repo)
    code, _, err = run(repo, "new", "paper", "--arxiv", "2001.08361")
    assert code == 1
    assert "already in references.bib as 'kaplan2020scaling' (note: notes/k.md)" in err
    assert snapshot(repo) == before
    assert httpserver.log == []  # refused before any request


def test_key_is_made_unique(repo, run, httpserver):
    bib = repo / "references.bib"
    bib.write_text(BIB + "\n@misc{ouyang2022training, title={Other}, year={2022}, url={https://x.org}}\n")
    serve_arxiv(httpserver)
    assert run(repo, "new", "paper", "--arxiv", "2203.02155")[0] == 0
    assert "@misc{ouyang2022trainingb," in bib.read_text()


def test_never_overwrites_an_existing_note(repo, run, httpserver):
    serve_arxiv(httpserver)
    note = repo / "notes" / "papers" / "Training language models to follow instructions with human feedback.md"
    note.parent.mkdir(parents=True)
    note.write_text("my work")
    before = snapshot(repo)
    code, _, err = run(repo, "new", "paper", "--arxiv", "2203.02155")
    assert code == 1 and "already exists" in err
    assert snapshot(repo) == before


def test_interrupted_bibliography_write_leaves_nothing_behind(repo, run, httpserver, monkeypatch):
    import fmkb.new

    serve_arxiv(httpserver)
    before = snapshot(repo)

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(fmkb.new, "replace_file", interrupted)
    monkeypatch.chdir(repo)
    with pytest.raises(KeyboardInterrupt):
        fmkb.new.new_paper(__import__("fmkb.config").config.load_settings(), arxiv="2203.02155")
    assert snapshot(repo) == before


def test_retries_after_server_errors(repo, run, httpserver):
    httpserver.expect_ordered_request("/api/query").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/api/query").respond_with_data(ARXIV, content_type="application/atom+xml")
    assert run(repo, "new", "paper", "--arxiv", "2203.02155")[0] == 0
    assert len(httpserver.log) == 2


def test_honours_retry_after_on_429(repo, run, httpserver):
    httpserver.expect_ordered_request("/api/query").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    httpserver.expect_ordered_request("/api/query").respond_with_data(ARXIV, content_type="application/atom+xml")
    started = time.monotonic()
    assert run(repo, "new", "paper", "--arxiv", "2203.02155")[0] == 0
    assert time.monotonic() - started >= 1.0


def test_gives_up_after_bounded_retries(repo, run, httpserver):
    httpserver.expect_request("/api/query").respond_with_data("down", status=500)
    before = snapshot(repo)
    code, _, err = run(repo, "new", "paper", "--arxiv", "2203.02155")
    assert code == 1 and "HTTP 500; gave up after 3 attempts" in err
    assert len(httpserver.log) == 3 and snapshot(repo) == before


def test_retry_after_beyond_the_limit_is_not_waited_for(repo, run, httpserver):
    httpserver.expect_request("/api/query").respond_with_data("later", status=429, headers={"Retry-After": "3600"})
    code, _, err = run(repo, "new", "paper", "--arxiv", "2203.02155")
    assert code == 1 and "asks to wait 3600 s" in err and len(httpserver.log) == 1


def test_read_timeout_is_a_one_line_error(repo, run, httpserver):
    def slow(request):
        time.sleep(0.8)  # past the 0.5 s read timeout
        return Response(ARXIV, content_type="application/atom+xml")

    httpserver.expect_request("/api/query").respond_with_handler(slow)
    before = snapshot(repo)
    code, _, err = run(repo, "new", "paper", "--arxiv", "2203.02155")
    assert code == 1 and "did not answer within 0.5 s" in err
    assert len(err.strip().splitlines()) <= 2 and snapshot(repo) == before


@pytest.mark.parametrize(
    "body,reason",
    [
        ("", "empty"),
        ("<feed><entry>", "not valid XML"),
        ((FIXTURES / "arxiv_unknown.xml").read_text(), "has no paper 2203.02155"),
    ],
)
def test_malformed_empty_or_unknown_answers(repo, run, httpserver, body, reason):
    serve_arxiv(httpserver, body=body)
    before = snapshot(repo)
    code, _, err = run(repo, "new", "paper", "--arxiv", "2203.02155")
    assert code == 1 and reason in err and snapshot(repo) == before


def test_unknown_doi(repo, run, httpserver):
    httpserver.expect_request("/works/10.1234/nope").respond_with_data("Resource not found.", status=404)
    code, _, err = run(repo, "new", "paper", "--doi", "10.1234/nope")
    assert code == 1 and "Crossref knows no DOI 10.1234/nope" in err


def test_unreachable_server_suggests_offline(repo, run, tmp_path):
    yml = (repo / "mkdocs.yml").read_text()
    import re

    (repo / "mkdocs.yml").write_text(re.sub(r"arxiv_api: \S+", "arxiv_api: http://127.0.0.1:9/api", yml))
    code, _, err = run(repo, "new", "paper", "--arxiv", "2203.02155")
    assert code == 1 and "cannot reach 127.0.0.1:9" in err and "--offline" in err


def test_offline_explains_and_writes_nothing(repo, run):
    before = snapshot(repo)
    code, _, err = run(repo, "new", "paper", "--arxiv", "2203.02155", "--offline")
    assert code == 1 and "add the paper by hand" in err and "eprint        = {2203.02155}" in err
    assert snapshot(repo) == before


def test_bad_identifier(repo, run):
    code, _, err = run(repo, "new", "paper", "--arxiv", "not-an-id")
    assert code == 1 and "is not an arXiv id" in err


def test_new_concept_and_model_pass_the_check(repo, run):
    assert run(repo, "new", "concept", "Mixture of experts")[0] == 0
    assert run(repo, "new", "model", "GPT-J: 6B")[0] == 0
    assert (repo / "notes" / "concepts" / "Mixture of experts.md").exists()
    assert (repo / "notes" / "models" / "GPT-J - 6B.md").exists()
    code, out, _ = run(repo, "check")
    assert code == 0, out


def test_new_concept_refuses_to_overwrite(repo, run):
    target = repo / "notes" / "concepts" / "Mixture of experts.md"
    target.parent.mkdir(parents=True)
    target.write_text("mine")
    code, _, err = run(repo, "new", "concept", "Mixture of experts")
    assert code == 1 and "already exists" in err and target.read_text() == "mine"


def _kill_run(repo, signum, delay):
    """Start `fmkb new paper` in a child process and send it a signal after `delay` seconds
    (unless it has finished by then)."""
    import signal as _signal  # noqa: F401
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "fmkb", "new", "paper", "--arxiv", "2203.02155"],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        proc.wait(timeout=delay)  # done before the moment came: nothing to kill
    except subprocess.TimeoutExpired:
        proc.send_signal(signum)
    proc.communicate(timeout=30)
    return proc.returncode


@pytest.mark.parametrize("signame", ["SIGKILL", "SIGTERM"])
def test_killed_mid_run_never_leaves_a_damaged_file(repo, httpserver, signame):
    """Kill the command at many moments: every file is always either untouched or complete."""
    import signal as _signal

    def slowish(request):
        time.sleep(0.05)
        return Response(ARXIV, content_type="application/atom+xml")

    httpserver.expect_request("/api/query").respond_with_handler(slowish)
    bib = repo / "references.bib"
    note = repo / "notes" / "papers" / "Training language models to follow instructions with human feedback.md"
    original = bib.read_bytes()
    outcomes = set()
    started = time.monotonic()
    _kill_run(repo, getattr(_signal, signame), 60)  # a whole run, to learn how long one takes here
    whole = time.monotonic() - started
    assert note.exists()
    note.unlink()
    bib.write_bytes(original)
    # from before the imports finish to after the command is done, as this machine runs it now;
    # the last run is not killed at all (it ends as the whole one did)
    for delay in [0.05, *(whole * (0.3 + i * 0.25) for i in range(3)), 60]:
        _kill_run(repo, getattr(_signal, signame), delay)
        now = bib.read_bytes()
        assert now == original or (now.startswith(original) and now.rstrip().endswith(b"}"))
        if note.exists():
            assert note.read_text().endswith("-->\n")  # the note is complete
        if signame == "SIGTERM":  # rolled back: both written, or neither
            assert (now == original) == (not note.exists())
        outcomes.add((now != original, note.exists()))
        if note.exists():
            note.unlink()
        bib.write_bytes(original)
    assert len(outcomes) >= 2  # the kills landed both before and after the writes


@pytest.mark.parametrize("name", ["Two\nlines", "Tab\there", "Bell\x07", "Line\u2028sep"])
def test_a_name_with_control_characters_is_refused_with_a_reason(repo, run, name):
    code, _, err = run(repo, "new", "concept", name)
    assert code == 1 and "control character" in err
    assert not (repo / "notes" / "concepts").exists() or not list((repo / "notes" / "concepts").iterdir())


def test_front_matter_is_written_by_yaml_so_odd_names_round_trip(repo, run):
    code, out, _ = run(repo, "new", "concept", 'A "quoted": name # with #hash')
    assert code == 0, out
    code, out, _ = run(repo, "check")
    assert "frontmatter" not in out


def test_a_name_that_differs_only_in_case_is_refused(repo, run):
    assert run(repo, "new", "concept", "Mixture of experts")[0] == 0
    code, _, err = run(repo, "new", "concept", "mixture OF Experts")
    assert code == 1 and "already a note" in err


@pytest.mark.parametrize(
    "family,key",
    [
        ("Kaiser", "kaiser2020scaling"),
        ("Łukasz", "lukasz2020scaling"),
        ("张", "zhang2020scaling"),
        ("Müller", "muller2020scaling"),
    ],
)
def test_house_keys_transliterate_names_instead_of_dropping_letters(family, key):
    from fmkb.fetch import Paper, house_key

    paper = Paper(title="Scaling Things", authors=[(family, "A.")], year=2020, entry_type="misc")
    assert house_key(paper) == key

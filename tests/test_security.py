"""What a pull request must not be able to do: plant caches, forge log lines, crash or hang
the build, publish files fmkb never checked, or make two writers lose an entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BIB, make_vault
from fmkb import cachefile
from fmkb.cachefile import default_dir

FORGED_LINE = "x\n::error file=SECURITY.md,line=1::forged"
FORGED_YAML = '"x\\n::error file=SECURITY.md,line=1::forged"'  # the same, as a YAML double-quoted key


def _build(root: Path, strict: bool = False) -> tuple[Path, list[str]]:
    """Build with MkDocs; returns the site folder and the log lines fmkb wrote."""
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    log = logging.getLogger("mkdocs.plugins.fmkb")
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)  # warnings-severity diagnostics are logged at INFO
    try:
        build(load_config(str(root / "mkdocs.yml"), strict=strict))
    finally:
        log.removeHandler(handler)
        log.setLevel(level)
    return root / "site", lines


# --- log injection -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_a_note_cannot_print_a_forged_workflow_command(tmp_path, run_cli, fmt):
    make_vault(tmp_path, {"a.md": f"---\n{FORGED_YAML}: 1\n---\n# A\n"})
    code, out, _ = run_cli(tmp_path, "check", "--no-cache", "--format", fmt)
    assert code in (0, 1)
    assert not [line for line in out.splitlines() if line.startswith("::error file=SECURITY.md")]
    if fmt == "json":
        assert "::error file=SECURITY.md" in json.dumps(json.loads(out))  # kept, as an escaped string


def test_a_file_name_cannot_print_a_forged_workflow_command(tmp_path, run_cli):
    make_vault(tmp_path, {"a.md": "# A\n", f"{FORGED_LINE.replace('/', '_')}.md": "[[Nope]]\n"})
    code, out, _ = run_cli(tmp_path, "check", "--no-cache", "--format", "github")
    assert code == 1
    assert not [line for line in out.splitlines() if line.startswith("::error file=SECURITY.md")]


def test_the_build_log_cannot_carry_a_forged_line(tmp_path):
    make_vault(tmp_path, {"a.md": f"---\n{FORGED_YAML}: 1\n---\n# A\n"})
    _, lines = _build(tmp_path)
    assert lines and not any("\n" in line for line in lines)


# --- caches a pull request could plant -------------------------------------------------


def test_a_planted_bibliography_cache_is_not_trusted(tmp_path, run_cli):
    """A broken references.bib with a forged cache of a good parse beside it still fails."""
    broken = BIB.replace("year   = {2020},", "year   = {2020}, @@@")
    root = make_vault(tmp_path, {"a.md": "[@invented2024x]\n"}, bib=broken)
    from fmkb.bibcache import _path, to_json
    from fmkb.bibliography import parse_bibliography_bytes

    good = parse_bibliography_bytes(
        BIB.encode() + b"\n@misc{invented2024x, title={X}, year={2024}, url={u}}\n", "references.bib"
    )
    digest = __import__("hashlib").sha256(broken.encode()).hexdigest()
    forged = Path(_path(default_dir(str(root)), digest))
    forged.parent.mkdir(parents=True, exist_ok=True)
    forged.write_text("fmkb-cache-v1 " + "0" * 64 + "\n" + to_json(good, digest))  # a seal without the key
    code, out, _ = run_cli(root, "check", "--format", "json")
    rules = {d["rule"] for d in json.loads(out)["diagnostics"]}
    assert code == 1 and "cite-unknown" in rules


def test_a_cache_folder_set_inside_the_repository_is_still_sealed(tmp_path, run_cli):
    yml = "site_name: t\ndocs_dir: notes\nplugins:\n  - fmkb:\n      cache_dir: committed-cache\n"
    root = make_vault(tmp_path, {"a.md": "<script>x</script>\n"}, mkdocs=yml)
    run_cli(root, "check")
    (cache,) = (root / "committed-cache").glob("check-*.json")
    data = json.loads(cachefile.read(str(cache)))
    data["notes"]["a.md"][3] = []  # the row that would hide the error
    cache.write_text(json.dumps(data))  # what a pull request can commit: no valid seal
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "html-unsafe" in out


def test_the_cache_key_is_private_and_outside_the_repository(tmp_path, run_cli):
    root = make_vault(tmp_path, {"a.md": "# A\n"})
    run_cli(root, "check")
    key = Path(cachefile.user_cache_root()) / "key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
    assert not str(key.resolve()).startswith(str(root.resolve()))


def test_a_link_planted_at_the_cache_target_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "cache" / "x.json"
    target.parent.mkdir()
    os.symlink(victim, target)
    cachefile.write(str(target), "{}")
    assert victim.read_text() == "precious" and not target.is_symlink()


def test_a_link_planted_at_the_temp_name_is_never_written_through(tmp_path, monkeypatch):
    import secrets

    from fmkb import fsutil

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    monkeypatch.setattr(secrets, "token_hex", lambda n=4: "0" * (2 * n))  # a predictable name
    target = tmp_path / "cache.json"
    tmp = fsutil._temp_beside(str(target))
    os.symlink(victim, tmp)
    with pytest.raises(FileExistsError):
        fsutil.write_atomic(str(target), b"x")
    assert victim.read_text() == "precious" and not target.exists()


# --- the build never crashes or hangs on input the check reports ----------------------


def test_a_note_that_is_not_utf8_is_a_diagnostic_and_the_build_goes_on(tmp_path, run_cli):
    root = make_vault(tmp_path, {"index.md": "# Home\n", "bad.md": b"# Bad\n\n\xff\xfe caf\xe9\n"})
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "file-unreadable" in out
    site, _ = _build(root)
    assert "caf" in (site / "bad" / "index.html").read_text()


@pytest.mark.parametrize(
    "front",
    [
        "template: ../../../etc/passwd",
        "icon: material/not-an-icon-anywhere",
        "hide: navigation",
        "search: 3",
        "status: 'x\" onmouseover=\"alert(1)'",
        "subtitle: [1, 2]",
    ],
)
def test_bad_theme_keys_are_diagnostics_and_never_crash_the_build(tmp_path, run_cli, front):
    root = make_vault(tmp_path, {"index.md": "# Home\n", "a.md": f"---\n{front}\n---\n# A\n"})
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "frontmatter-schema" in out
    site, _ = _build(root)
    html = (site / "a" / "index.html").read_text()
    assert "onmouseover" not in html and "etc/passwd" not in html


def test_an_alias_bomb_does_not_hang_the_build(tmp_path):
    levels = "abcdefghi"
    rows = [f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in zip(levels, levels[1:], strict=False)]
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "\n".join(rows) + "\n---\n# Bomb\n"
    root = make_vault(tmp_path, {"index.md": "# Home\n", "bomb.md": bomb})
    started = time.monotonic()
    site, _ = _build(root)
    assert time.monotonic() - started < 60 and (site / "bomb" / "index.html").exists()


def test_a_note_too_complex_to_render_is_not_handed_to_the_renderer(tmp_path):
    root = make_vault(tmp_path, {"index.md": "# Home\n", "big.md": "# Big\n\n" + "[" * 50_000 + "\n"})
    started = time.monotonic()
    site, lines = _build(root)
    assert time.monotonic() - started < 60
    assert "not published" in (site / "big" / "index.html").read_text()
    assert any("note-too-complex" in line for line in lines)


# --- what is published is what fmkb read -------------------------------------------------


def test_the_plugin_honours_its_own_options(tmp_path):
    yml = (
        "site_name: t\ndocs_dir: notes\ntheme:\n  name: material\nplugins:\n  - fmkb:\n"
        "      allow_html: [kbd]\n      allow_files: ['demo/*.html']\n      cache_dir: my-cache\n"
    )
    notes = {"index.md": "# Home\n\n<kbd>k</kbd> <mark>m</mark>\n", "demo/page.html": "<p>demo</p>"}
    root = make_vault(tmp_path, notes, mkdocs=yml)
    site, lines = _build(root)
    html = (site / "index.html").read_text()
    assert "<kbd>k</kbd>" in html and "<mark>" not in html  # the allow-list of the options, not the default
    assert (site / "demo" / "page.html").exists()  # allowed by allow_files
    assert list((root / "my-cache").glob("bib-*.json"))  # cache_dir honoured
    assert any("<mark>" in line and "html-unsafe" in line for line in lines)


def test_a_page_the_check_never_saw_is_not_published(tmp_path):
    root = make_vault(tmp_path, {"index.md": "# Home\n", "raw.html": "<script>x</script>", "pic.svg": "<svg/>"})
    site, lines = _build(root)
    assert not (site / "raw.html").exists() and not (site / "pic.svg").exists()


def test_anchors_come_from_the_toc_extension(tmp_path):
    notes = {
        "index.md": "# Home\n\n[[B#Table_2]] [[B#Results]]\n",
        "B.md": "# B\n\n## Table_2\n\n## Results {#res}\n",
    }
    root = make_vault(tmp_path, notes)
    site, _ = _build(root, strict=True)
    html = (site / "index.html").read_text()
    ids = (site / "b" / "index.html").read_text()
    assert 'href="b/#table_2"' in html and 'id="table_2"' in ids
    assert 'href="b/#res"' in html and 'id="res"' in ids


# --- concurrent writers ----------------------------------------------------------------------

ARXIV = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
<entry><id>http://arxiv.org/abs/{id}v1</id><published>2020-01-23T00:00:00Z</published>
<title>Scaling Things {id}</title><summary>s</summary>
<author><name>Jared Kaplan</name></author></entry></feed>"""


def test_two_writers_at_once_both_keep_their_entry(tmp_path, httpserver):
    from werkzeug.wrappers import Response

    def answer(request):
        time.sleep(0.3)  # both runs are in flight together
        ident = request.args["id_list"]
        return Response(ARXIV.format(id=ident), content_type="application/atom+xml")

    httpserver.expect_request("/api/query").respond_with_handler(answer)
    yml = f"site_name: t\ndocs_dir: notes\nplugins:\n  - fmkb:\n      arxiv_api: {httpserver.url_for('/api/query')}\n"
    root = make_vault(tmp_path, {"index.md": "# Home\n"}, mkdocs=yml)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fmkb", "new", "paper", "--arxiv", ident],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for ident in ("2001.00001", "2001.00002")
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in runs]
    assert [code for code, _ in results] == [0, 0], results
    bib = (root / "references.bib").read_text()
    assert "2001.00001" in bib and "2001.00002" in bib
    keys = [line.split("{", 1)[1].rstrip(",") for line in bib.splitlines() if line.startswith("@")]
    assert len(keys) == len(set(keys))


# --- found by the red team --------------------------------------------------------------


def test_block_style_yaml_nested_past_the_limit_is_refused_without_a_crash(tmp_path, run_cli):
    deep = "---\ntitle: A\nrelated:\n  " + "- " * 40_000 + "x\n---\n# A\n\ntext\n"
    root = make_vault(tmp_path, {"index.md": "# Home\n\n[[a]]\n", "a.md": deep})
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "nested more than" in out
    site, _ = _build(root)
    assert (site / "a" / "index.html").exists()


@pytest.mark.parametrize("body", ["- " * 1000 + "x", "*" * 2000 + "x" + "*" * 2000])
def test_nesting_the_renderer_cannot_take_is_reported_and_not_rendered(tmp_path, run_cli, body):
    root = make_vault(tmp_path, {"index.md": "# Home\n\n[[a]]\n", "a.md": "# A\n\n" + body + "\n"})
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "note-too-complex" in out
    site, _ = _build(root)
    assert "not published" in (site / "a" / "index.html").read_text()


def test_mkdocs_own_warnings_cannot_start_a_workflow_command(tmp_path):
    note = "# Home\n\nSee [d](missing%0A::error%20title=Pwned::x.md) and [e](<../\n::stop-commands::y.md>).\n"
    root = make_vault(tmp_path, {"index.md": note})
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=root, env=env, capture_output=True, text=True)
    err = done.stdout + done.stderr
    assert "Pwned" in err  # MkDocs did warn about the link
    assert not [line for line in err.splitlines() if line.lstrip().startswith("::")]


@pytest.mark.parametrize("kind", ["concept", "model"])
def test_fmkb_new_never_writes_through_a_linked_folder(tmp_path, run_cli, kind):
    outside = tmp_path.parent / f"outside-{kind}"
    outside.mkdir(exist_ok=True)
    root = make_vault(tmp_path, {"index.md": "# Home\n"})
    os.symlink(outside, root / "notes" / f"{kind}s")
    code, _, err = run_cli(root, "new", kind, "Pwned")
    assert code == 1 and "outside the notes folder" in err
    assert list(outside.iterdir()) == []


def test_front_matter_of_comments_only_is_published_as_checked(tmp_path, run_cli):
    note = "---\n# <img src=x onerror=alert(1)>\n---\n# Real\n\n[[index]] body\n"
    root = make_vault(tmp_path, {"index.md": "# Home\n\n[[a]]\n", "a.md": note})
    code, out, _ = run_cli(root, "check")
    assert code == 0 and "html-unsafe" not in out, out
    html = (_build(root)[0] / "a" / "index.html").read_text()
    assert "onerror" not in html and "<h1" in html and "Real" in html


@pytest.mark.parametrize(
    "body",
    [
        "Click\n{: onclick autofocus }",
        "## Head {: onmouseover }",
        "Para\n{: autofocus }",
        "*em*{: contenteditable }",
        "```{ .py data-foo }\nx\n```",
        "[x](java&#115;cript:1)",
        "[r]:\n  javascript:x",
    ],
)
def test_the_prefilter_sends_every_construct_that_can_carry_markup_to_the_renderer(body):
    from fmkb.config import MarkdownSetup

    assert MarkdownSetup().may_publish_markup(body)


def test_math_written_as_script_tags_is_rendered_by_the_check():
    from fmkb.config import MarkdownSetup

    script_math = MarkdownSetup(("toc", "pymdownx.arithmatex"), {})
    generic_math = MarkdownSetup(("toc", "pymdownx.arithmatex"), {"pymdownx.arithmatex": {"generic": True}})
    assert script_math.may_publish_markup("$x$") and not generic_math.may_publish_markup("$x$")


# --- found by the second red-team round ---------------------------------------------------


def test_alias_entries_in_the_search_index_are_escaped(tmp_path):
    hostile = "qq<img src=x onerror=alert(7)>"
    notes = {"index.md": "# Home\n\n[[b]]\n", "b.md": f"---\naliases: ['{hostile}']\n---\n# B\n\n[[index]]\n"}
    yml = "site_name: t\ndocs_dir: notes\nplugins:\n  - search\n  - fmkb\n"
    site, _ = _build(make_vault(tmp_path, notes, mkdocs=yml))
    entries = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    (entry,) = [d for d in entries if d["location"].endswith("#fmkb-aliases")]
    assert "<img" not in entry["title"] + entry["text"] and "&lt;img" in entry["title"]


def test_mkdocs_never_parses_front_matter_fmkb_did_not(tmp_path):
    deep = "---\n---\u2028\ndeep: " + "{" * 40_000 + "}" * 40_000 + "\n\n---\n# A\n"
    root = make_vault(tmp_path, {"index.md": "# Home\n\n[[a]]\n", "a.md": deep})
    site, _ = _build(root)  # a YAML parser on this would overflow the C stack
    assert (site / "a" / "index.html").exists()


@pytest.mark.parametrize(
    "body",
    [
        "*x _x " * 600,
        "**x " * 1200,
        "".join("    " * i + "!!! note\n\n" for i in range(400)) + "    " * 400 + "x\n",
        "## a\n\n" * 5000 + "[[#a]]\n",
    ],
    ids=["alternating-emphasis", "strong-runs", "nested-admonitions", "duplicate-headings"],
)
def test_what_the_renderer_cannot_take_never_stops_the_build(tmp_path, run_cli, body):
    yml = "site_name: t\ndocs_dir: notes\nmarkdown_extensions:\n  - admonition\nplugins:\n  - fmkb\n"
    root = make_vault(
        tmp_path, {"index.md": "# Home\n\n[[a]] <b>x</b>\n", "a.md": "# A\n\n<b>b</b> " + body}, mkdocs=yml
    )
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "note-too-complex" in out
    started = time.monotonic()
    site, _ = _build(root)
    assert time.monotonic() - started < 60 and (site / "a" / "index.html").exists()


def test_a_file_name_that_is_not_utf8_is_refused_and_never_printed_raw(tmp_path, run_cli):
    root = make_vault(tmp_path, {"index.md": "# Home\n"})
    os.makedirs(os.fsencode(root / "notes") + b"/d\xff", exist_ok=True)
    (Path(os.fsdecode(os.fsencode(root / "notes") + b"/a\x9b.md"))).write_text("no heading\n")
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "file-unpublishable" in out and "\x9b" not in out and "\udc9b" not in out
    site, _ = _build(root)
    assert (site / "index.html").exists()


def test_the_header_fmkb_inserts_is_part_of_what_the_check_renders(tmp_path, run_cli, monkeypatch):
    from fmkb.sanitize import Policy, unsafe_parts

    note = '---\naliases: [Q]\n---\n<img alt="\n# not a heading\n" title="x <b onmouseover=1>y">\n\n# A\n'
    root = make_vault(tmp_path, {"index.md": "# Home\n\n[[a]]\n", "a.md": note})
    monkeypatch.setattr(Policy, "clean", lambda self, html: html)  # see what the renderer emits
    raw = (_build(root)[0] / "a" / "index.html").read_text()
    article = raw[raw.index("<article") : raw.rindex("</article>")]
    assert unsafe_parts(article, Policy.allowing(frozenset({"b"})))  # the header split the attribute
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "html-unsafe" in out


def test_a_declaration_that_crashes_mkdocs_html_parser_is_reported_and_never_stops_the_build(tmp_path, run_cli):
    """MkDocs runs html.parser over every page's Markdown; '<![x' makes it raise (found by the
    property test in tests/test_one_view.py)."""
    root = make_vault(tmp_path, {"index.md": "# Home\n\n[[a]]\n", "a.md": "# A\n\ntext <![x]( more\n"})
    code, out, _ = run_cli(root, "check")
    assert code == 1 and "note-too-complex" in out and "renderer failed" in out
    site, lines = _build(root)
    assert "not published" in (site / "a" / "index.html").read_text()
    assert any("renderer failed" in line for line in lines)


def test_a_heading_the_renderer_fails_on_does_not_fail_the_notes_that_link_to_it(tmp_path, run_cli):
    notes = {"index.md": "# Home\n\n[[a#x y z]] [[a]]\n", "a.md": "# A\n\n## x <![y] z\n"}
    root = make_vault(tmp_path, notes)
    code, out, _ = run_cli(root, "check")
    assert "notes/index.md" not in out  # the link resolves; only the note with '<![' is reported
    site, _ = _build(root)
    assert (site / "index.html").exists()


def test_a_cache_written_in_parts_is_sealed_as_one_text(tmp_path):
    whole, parts = tmp_path / "whole.json", tmp_path / "parts.json"
    cachefile.write(str(whole), '{"a":"ü",' + '"b":[1,2]}')
    cachefile.write(str(parts), ['{"a":"ü",', '"b":[1,2]}'])
    assert parts.read_bytes() == whole.read_bytes()
    assert cachefile.read(str(parts)) == '{"a":"ü","b":[1,2]}'
    parts.write_bytes(parts.read_bytes().replace(b"[1,2]", b"[1,3]"))
    assert cachefile.read(str(parts)) is None  # an edited part breaks the seal

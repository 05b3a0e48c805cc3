"""Hostile input: unsafe HTML, paths out of the repository, and malformed files."""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import pytest

from conftest import BIB, diags, places


@contextmanager
def within(seconds: int):
    """Fail instead of hanging: malformed input must be handled in bounded time."""

    def boom(*_):
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- html-unsafe ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body,column",
    [
        ("x <script>alert(1)</script>", 3),
        ("x <iframe src='https://evil.example'></iframe>", 3),
        ("x <object data='a.swf'></object>", 3),
        ("x <embed src='a.swf'>", 3),
        ("x <style>body{}</style>", 3),
        ("x <link rel=stylesheet href='https://evil.example/a.css'>", 3),
        ("x <img src=x onerror=alert(1)>", 14),
        ("x <b onclick='go()'>b</b>", 6),
        ("x <a href='javascript:alert(1)'>a</a>", 12),
        ('x <a href="jav&#x61;script:alert(1)">a</a>', 3),
        ("x <img src='data:image/svg+xml;base64,PHN2Zz4='>", 13),
        ("x [click](javascript:alert(1))", 11),
        ("x ![img](data:text/html;base64,PHNjcmlwdD4=)", 10),
        ("x <javascript:alert(1)>", 3),
        ("[ref]: javascript:alert(1)\n\nSee [x][ref].", 8),
        ("x <span style='background:url(https://evil.example/t.png)'>s</span>", 9),
    ],
)
def test_unsafe_html_is_an_error_at_its_place(vault, body, column):
    root = vault({"a.md": "# A\n\n" + body + "\n"})
    assert places(diags(root)) == [("notes/a.md", 3, column, "html-unsafe")]


@pytest.mark.parametrize(
    "body",
    [
        "H<sub>2</sub>O and x<sup>2</sup>, <kbd>Ctrl</kbd>",
        "<details><summary>More</summary>\n\nText\n\n</details>",
        "`<script>alert(1)</script>` in code",
        "```html\n<script>alert(1)</script>\n```",
        "<!-- <script>alert(1)</script> -->",
        "an autolink <https://example.org/a> and [a link](https://example.org) and [rel](other.md)",
        "a < b and c > d, and 3<4",
        "<a href='https://example.org' title='x'>ok</a> <img src='assets/fig.png' alt='fig'>",
    ],
)
def test_harmless_html_is_fine(vault, body):
    assert diags(vault({"a.md": body + "\n", "other.md": "[[a]]\n"})) == []


def test_allow_list_is_configurable(vault):
    yml = (
        "site_name: t\ndocs_dir: notes\nplugins:\n  - fmkb:\n      bibliography: references.bib\n"
        "      allow_html: [sub]\n"
    )
    root = vault({"a.md": "<sub>1</sub> <kbd>k</kbd>\n"}, mkdocs=yml)
    from fmkb.config import load_settings
    from fmkb.engine import analyze

    report = analyze(load_settings(str(root / "mkdocs.yml"))).report
    assert [(d.rule, d.column) for d in report.diagnostics if d.rule == "html-unsafe"] == [
        ("html-unsafe", 14)
    ]  # <kbd>; its closing tag is not reported again


def test_html_in_front_matter_strings_is_flagged(vault):
    root = vault({"a.md": "---\ntitle: '<img src=x onerror=alert(1)>'\ntags: [ok]\n---\n"})
    assert places(diags(root)) == [("notes/a.md", 2, 1, "html-unsafe")]


# --- paths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option", ["bibliography: ../outside.bib", "bibliography: /etc/hostname", "cache_dir: ../elsewhere"]
)
def test_configuration_cannot_point_outside_the_repository(vault, tmp_path, run_cli, option):
    (tmp_path.parent / "outside.bib").write_text(BIB)
    yml = f"site_name: t\ndocs_dir: notes\nplugins:\n  - fmkb:\n      {option}\n"
    root = vault({"a.md": "x"}, mkdocs=yml)
    code, _, err = run_cli(root, "check")
    assert code == 2 and "outside the repository" in err


def test_symlinked_note_pointing_outside_is_not_read(vault, tmp_path):
    secret = tmp_path.parent / "secret.md"
    secret.write_text("[[Nope]] TOP SECRET")
    root = vault({"a.md": "[[secret]]"})
    os.symlink(secret, tmp_path / "notes" / "secret.md")
    ds = diags(root)
    assert ("notes/secret.md", 1, 1, "link-outside-vault") in places(ds)
    assert not any("Nope" in d.message for d in ds)  # its content was never scanned


def test_symlinked_folder_pointing_outside_is_not_walked(vault, tmp_path):
    outside = tmp_path.parent / "outside-dir"
    outside.mkdir(exist_ok=True)
    (outside / "x.md").write_text("[[Nope]]")
    root = vault({"a.md": "ok"})
    os.symlink(outside, tmp_path / "notes" / "linked")
    ds = diags(root)
    assert places(ds) == [("notes/linked/x.md", 1, 1, "link-outside-vault")]
    assert not any("Nope" in d.message for d in ds)  # its content was never read


def test_absolute_and_climbing_links_are_never_read(vault):
    root = vault({"a.md": "[[/etc/passwd]]\n[[../../../etc/passwd]]\n![[..\\..\\secret.png]]\n"})
    assert [(d.line, d.rule) for d in diags(root)] == [
        (1, "link-unresolved"),
        (2, "link-outside-vault"),
        (3, "link-outside-vault"),
    ]


# --- malformed input: diagnostics, correct lines, bounded time ---------------------


def test_ten_megabyte_single_line_note(vault):
    line = ("word [[Nope]] [@kaplan2020scaling] `code` $x$ " * 230_000)[:10_000_000]
    root = vault({"a.md": "# Big\n" + line + "\n"})
    with within(60):
        ds = diags(root)
    assert {d.rule for d in ds} == {"link-unresolved", "note-too-complex"}
    assert all(d.line == 2 for d in ds if d.rule == "link-unresolved")


def test_hundred_thousand_links_in_one_note(vault):
    root = vault({"a.md": "[[b]] " * 100_000 + "\n[[Nope]]\n", "b.md": "x"})
    with within(60):
        found = places(diags(root))
    assert ("notes/a.md", 2, 1, "link-unresolved") in found
    assert [p for p in found if p[3] != "link-unresolved"] == [("notes/a.md", 1, 1, "note-too-complex")]


def test_nul_bytes_and_bad_utf8_and_cr_line_endings(vault):
    root = vault(
        {"nul.md": b"a\x00b\n[[Nope]]\n", "bad.md": b"ok\r\n\xff\xfe\r\n[[Nope]]\r\n", "cr.md": b"one\rtwo\r[[Nope]]\r"}
    )
    assert places(diags(root)) == [
        ("notes/bad.md", 2, 1, "file-unreadable"),
        ("notes/bad.md", 3, 1, "link-unresolved"),
        ("notes/cr.md", 3, 1, "link-unresolved"),
        ("notes/nul.md", 2, 1, "link-unresolved"),
    ]


def test_unterminated_fence_and_unclosed_wikilink(vault):
    # an unclosed fence is text, as the renderer shows it: the link after it is checked
    root = vault({"a.md": "[[Nope]]\n[[never closed\n```\n[[Shown]]\n"})
    assert places(diags(root)) == [("notes/a.md", 1, 1, "link-unresolved"), ("notes/a.md", 4, 1, "link-unresolved")]


@pytest.mark.parametrize(
    "bib",
    [
        "@article{a,\n  title = {unbalanced {{{ braces,\n  year = {2020}\n",
        "@string{runaway = {never closed\n" + "x" * 200_000 + "\n",
        "@misc{" * 5_000,
        "}" * 100_000,
        '@string{a = "x" # a}\n@misc{k, title = a # a # a, year = 2020, url = {u}}\n',
    ],
)
def test_broken_bibliography_gives_diagnostics_not_a_crash(vault, bib):
    root = vault({"a.md": "x"}, bib=bib)
    with within(60):
        ds = diags(root)
    assert all(d.path == "references.bib" and d.line >= 1 for d in ds)


def test_cli_never_shows_a_traceback_on_hostile_vault(vault, run_cli):
    root = vault(
        {"a.md": b"---\nx: [" + b"[" * 10_000 + b"\n---\n\xff", "b.md": "<script>x</script>"}, bib="@misc{" * 100
    )
    code, out, err = run_cli(root, "check")
    assert code == 1 and "html-unsafe" in out and "frontmatter-yaml" in out


def test_pathological_brackets_finish_in_bounded_time(vault):
    # `[` then 300,000 `@a`: the old citation pattern backtracked quadratically here (it would take
    # hours); the scaling itself is test_linear_time's
    root = vault({"a.md": "[" + "@a " * 300_000})
    with within(30):
        assert places(diags(root)) == [("notes/a.md", 1, 1, "note-too-complex")]  # reported, not rendered

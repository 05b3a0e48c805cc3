"""`fmkb zensical` reads the configuration as `mkdocs build` reads it, and fails where it fails.

Strict parity: whatever `mkdocs build --strict` fails on (MkDocs' own warnings while it reads the
project, a `nav:` entry naming no page, `strict: true` in mkdocs.yml) fails `fmkb zensical
--strict` too, building nothing; without strict the same warnings are said as MkDocs says them.
The Markdown extensions' options reach Zensical in every form MkDocs reads (a mapping, a parent
configuration named by `INHERIT`). Two runs in one project never share the staging folder, and
a setting Zensical cannot take is named. Each vault is tiny; no network.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import pytest

from conftest import make_vault
from fmkb import fsutil, zensical_build

pytest.importorskip("zensical")

from test_zensical import BIB, ENV, differing, html, tree, zensical  # noqa: E402 (after the skip)

YML = """\
site_name: tiny
docs_dir: notes
theme:
  name: material
markdown_extensions:
  - toc:
      permalink: true
  - attr_list
  - fmkb.callouts
plugins:
  - search
  - fmkb:
      bibliography: references.bib
"""

NOTES = {
    "index.md": "# Home\n\nSee [[A]].\n\n## Part\n\n> [!tip] Remember\n> A callout.\n",
    "A.md": "# A\n\nBack [[index|home]].\n\n## Detail {#detail}\n\ntext\n",
}


def mkdocs_build(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args],  # not -q: it hides the warnings strict counts
        cwd=root,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )


def built_nothing(root: Path) -> bool:
    return not (root / "site-zensical").exists() and not (root / ".fmkb-zensical").exists()


# --- strict parity -------------------------------------------------------------------------


def test_mkdocs_own_warnings_are_said_as_mkdocs_says_them_and_fail_a_strict_build(tmp_path):
    """MkDocs drops a README.md beside an index.md with a warning, which fails its strict build."""
    make_vault(tmp_path, {**NOTES, "README.md": "# Read me\n"}, bib=BIB, mkdocs=YML)
    warning = "WARNING -  Excluding 'README.md' from the site because it conflicts with 'index.md'."
    assert mkdocs_build(tmp_path, "--strict").returncode != 0

    done = zensical(tmp_path, "--strict")
    assert done.returncode == 1
    assert warning in done.stderr.splitlines()
    assert "fmkb: aborted with 1 warning in strict mode; nothing built" in done.stderr
    assert built_nothing(tmp_path)

    done = zensical(tmp_path)
    assert done.returncode == 0 and warning in done.stderr.splitlines()
    assert (tmp_path / "site-zensical" / "index.html").is_file()


NAV_YML = YML.replace("theme:\n", "nav: [index.md, A.md, Missing.md, {Away: Gone.md}]\ntheme:\n", 1)


def test_a_nav_entry_naming_no_page_is_reported_and_fails_a_strict_build(tmp_path):
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=NAV_YML)
    assert mkdocs_build(tmp_path, "--strict").returncode != 0
    done = zensical(tmp_path, "--strict")
    assert done.returncode == 1
    for name in ("Missing.md", "Gone.md"):
        assert (
            f"WARNING -  A reference to '{name}' is included in the 'nav' configuration, "
            "which is not found in the documentation files."
        ) in done.stderr.splitlines()
    assert "aborted with 2 warnings in strict mode" in done.stderr
    assert built_nothing(tmp_path)


def test_without_strict_a_nav_entry_naming_no_page_is_the_link_mkdocs_publishes(tmp_path):
    """MkDocs keeps such an entry as a link to the address as written, titled "None" when the
    entry has no title: the Zensical site's navigation is the same."""
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=NAV_YML)
    assert mkdocs_build(tmp_path).returncode == 0
    done = zensical(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "WARNING -  A reference to 'Missing.md'" in done.stderr

    def nav(site: Path, url: str) -> list[tuple[str, str]]:
        primary = tree(html(site, url)).css_first("nav.md-nav--primary")
        base = f"http://site/{url.strip('.')}"
        return [(a.text(strip=True), urljoin(base, a.attributes.get("href") or "")) for a in primary.css("a")]

    for url in (".", "a/"):
        found = nav(tmp_path / "site-zensical", url)
        assert found == nav(tmp_path / "site", url)
        assert ("None", "http://site/Missing.md") in found and ("Away", "http://site/Gone.md") in found


def test_strict_in_the_configuration_makes_every_build_strict(tmp_path):
    yml = "strict: true\n" + YML
    make_vault(tmp_path, {"index.md": "# Home\n\n[[Nowhere]]\n"}, bib=BIB, mkdocs=yml)
    assert mkdocs_build(tmp_path).returncode != 0
    done = zensical(tmp_path)
    assert done.returncode == 1
    assert "WARNING -  notes/index.md:3:1: unresolved wiki-link [[Nowhere]] [link-unresolved]" in done.stderr
    assert "strict mode; nothing built" in done.stderr
    assert built_nothing(tmp_path)


# --- the Markdown extensions' options, in every form MkDocs reads ------------------------------

MAPPING_YML = """\
site_name: tiny
docs_dir: notes
theme:
  name: material
markdown_extensions:
  toc: {permalink: true}
  attr_list: {}
  fmkb.callouts: {}
  pymdownx.emoji:
    emoji_index: !!python/name:material.extensions.emoji.twemoji
plugins:
  - search
  - fmkb:
      bibliography: references.bib
"""

BASE_YML = YML.replace("site_name: tiny", "site_name: base").replace(
    "theme:\n  name: material\n", "theme:\n  name: material\n  features: [navigation.indexes]\n"
)
CHILD_YML = "INHERIT: config/base.yml\nsite_name: inh\ntheme:\n  features: [navigation.tabs]\n"


@pytest.mark.parametrize("form", ["mapping", "inherit"])
def test_extension_options_reach_zensical_in_every_form_mkdocs_reads(tmp_path, form):
    """`markdown_extensions` as a mapping, or the whole configuration in a parent file named by
    `INHERIT` (relative to the file naming it): the pages read as with MkDocs, permalinks and
    callouts included, and the parent's settings are merged as MkDocs merges them."""
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=MAPPING_YML if form == "mapping" else CHILD_YML)
    if form == "inherit":
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "base.yml").write_text(BASE_YML, encoding="utf-8")
    assert mkdocs_build(tmp_path).returncode == 0
    done = zensical(tmp_path)
    assert done.returncode == 0, done.stderr
    site = tmp_path / "site-zensical"
    assert differing(tmp_path / "site", site) == []
    page = html(site, "a")
    assert 'class="headerlink" href="#detail"' in page
    assert 'class="admonition tip"' in html(site, ".")
    staged = (tmp_path / ".fmkb-zensical" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "INHERIT" not in staged and "- fmkb:" not in staged
    if form == "mapping":  # a Python tag in an extension's options survives the conversion
        assert "emoji_index: !!python/name:material.extensions.emoji.twemoji" in staged
    else:  # the child's name and list replace the parent's; the parent's theme name stays
        assert "<title>A - inh</title>" in page
        assert "features: [navigation.tabs]" in staged and "navigation.indexes" not in staged
        assert "name: material" in staged


# --- two runs at once ---------------------------------------------------------------------------


def test_a_second_run_while_one_builds_stops_and_touches_nothing(tmp_path):
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=YML)
    stage, site = tmp_path / ".fmkb-zensical", tmp_path / "site-zensical"
    stage.mkdir()
    (stage / "FMKB-STAGE").write_text("mark")
    (stage / "half-built.txt").write_text("the other run's")
    site.mkdir()
    (site / ".fmkb-zensical-site").write_text("mark")
    (site / "index.html").write_text("the last site")

    def snapshot() -> dict[str, tuple[bytes, int]]:
        return {
            str(p.relative_to(tmp_path)): (p.read_bytes(), p.stat().st_mtime_ns)
            for folder in (stage, site)
            for p in sorted(folder.rglob("*"))
        }

    before = snapshot()
    fd = os.open(tmp_path / ".fmkb-zensical.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the other run
        done = zensical(tmp_path)
    finally:
        os.close(fd)
    assert done.returncode == 2
    assert "another `fmkb zensical` is building this project" in done.stderr
    assert "Traceback" not in done.stderr
    assert snapshot() == before


def test_a_link_in_place_of_the_lock_file_is_never_followed(tmp_path):
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=YML)
    (tmp_path / ".fmkb-zensical.lock").symlink_to(tmp_path / "elsewhere")
    done = zensical(tmp_path)
    assert done.returncode == 2 and "symbolic link" in done.stderr
    assert not (tmp_path / "elsewhere").exists() and built_nothing(tmp_path)


# --- what Zensical cannot take -------------------------------------------------------------------


def test_a_setting_zensical_cannot_take_is_named_as_zensicals_limit(tmp_path):
    """`mkdocs build` takes a Python tag in `extra`; Zensical stops on it."""
    yml = YML + "extra:\n  run: !!python/name:os.getcwd\n"
    make_vault(tmp_path, NOTES, bib=BIB, mkdocs=yml)
    assert mkdocs_build(tmp_path).returncode == 0
    done = zensical(tmp_path)
    assert done.returncode == 1
    assert "fmkb: error: Zensical cannot take the setting 'extra' of the configuration" in done.stderr
    assert "hint: this is a limit of Zensical" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "site-zensical").exists()


def _places(tmp_path: Path) -> zensical_build.Places:
    stage = tmp_path / ".fmkb-zensical"
    (stage / "site").mkdir(parents=True)
    (stage / "site" / "new.html").write_text("new")
    (tmp_path / "site-zensical").mkdir()
    (tmp_path / "site-zensical" / "old.html").write_text("old")
    return zensical_build.Places(
        str(tmp_path),
        str(stage),
        str(stage / "docs"),
        str(stage / "mkdocs.yml"),
        str(stage / "site"),
        str(tmp_path / "site-zensical"),
    )


def _swapped(a: Path, b: Path) -> bool:
    """Two folders holding `x` and `y`, swapped if the system can (else unchanged)."""
    for folder, name in ((a, "x"), (b, "y")):
        folder.mkdir()
        (folder / name).write_text(name)
    return fsutil.exchange(str(a), str(b))


def test_two_folders_are_swapped_in_one_step(tmp_path):
    if not _swapped(tmp_path / "a", tmp_path / "b"):
        pytest.skip("this system cannot swap two paths in one step")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["y"]
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["x"]


def test_a_new_site_replaces_the_last_without_a_moment_with_no_folder(tmp_path, monkeypatch):
    if not _swapped(tmp_path / "p", tmp_path / "q"):
        pytest.skip("this system cannot swap two paths in one step")
    places = _places(tmp_path)

    def no_rename(*a):  # a rename would leave a moment with no site folder
        raise AssertionError("renamed")

    monkeypatch.setattr(zensical_build.os, "rename", no_rename)
    zensical_build.publish_site(places)
    site = tmp_path / "site-zensical"
    assert sorted(p.name for p in site.iterdir()) == [zensical_build.SITE_MARK, "new.html"]
    assert not Path(places.built).exists()

"""fmkb.dates: "last updated" from one git log, the mtime when git cannot tell, never an exception."""

from __future__ import annotations

import os
import subprocess
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from fmkb.dates import last_updated

JAN = date(2021, 1, 5)
MAR = date(2021, 3, 7)
JUN = date(2021, 6, 9)
OLD = date(2019, 2, 3)  # the mtimes set by the tests: older than any commit, so never confused with one


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contributor's git config and a build's SOURCE_DATE_EPOCH must not change these results."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str, day: date | None = None) -> None:
    env = dict(os.environ)
    if day is not None:
        stamp = f"{day.isoformat()}T12:00:00+00:00"
        env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        check=True,
        capture_output=True,
        env=env,
    )


def init(repo: Path) -> Path:
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit(repo: Path, day: date, files: dict[str, str]) -> None:
    """Write `files` (repository-relative) and commit them all on `day` (noon UTC)."""
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"on {day}", day=day)


def set_mtime(path: Path, day: date) -> None:
    seconds = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()
    os.utime(path, (seconds, seconds))


def test_files_committed_on_different_days_get_their_own_dates(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    commit(repo, MAR, {"b.md": "b"})
    assert last_updated(str(repo), ["a.md", "b.md"]) == {"a.md": JAN, "b.md": MAR}


def test_a_later_commit_moves_only_the_date_of_the_file_it_touches(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a", "b.md": "b"})
    commit(repo, MAR, {"b.md": "b, revised"})
    assert last_updated(str(repo), ["a.md", "b.md"]) == {"a.md": JAN, "b.md": MAR}


def test_a_docs_dir_in_a_subfolder_of_the_repository_gets_paths_relative_to_itself(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"notes/papers/a.md": "a", "README.md": "r"})
    commit(repo, MAR, {"README.md": "r, revised"})
    assert last_updated(str(repo / "notes"), ["papers/a.md"]) == {"papers/a.md": JAN}


def test_a_file_name_with_spaces_and_non_ascii_characters_gets_its_commit_date(tmp_path: Path) -> None:
    name = "papers/Attention Is All You Need — Vaswani, Ülkü & 注意.md"
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"my notes/other.md": "o"})
    commit(repo, MAR, {f"my notes/{name}": "n"})
    assert last_updated(str(repo / "my notes"), [name, "other.md"]) == {name: MAR, "other.md": JAN}


def test_a_decomposed_unicode_path_matches_the_composed_name_in_history(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, MAR, {"Résumé.md": "r"})
    decomposed = unicodedata.normalize("NFD", "Résumé.md")  # as HFS+ lists it
    assert last_updated(str(repo), [decomposed]) == {decomposed: MAR}


def test_an_uncommitted_edit_falls_back_to_the_file_mtime(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a", "b.md": "b"})
    (repo / "a.md").write_text("a, edited", encoding="utf-8")
    set_mtime(repo / "a.md", OLD)
    assert last_updated(str(repo), ["a.md", "b.md"]) == {"a.md": OLD, "b.md": JAN}


def test_a_staged_but_uncommitted_edit_falls_back_to_the_file_mtime(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    (repo / "a.md").write_text("a, edited", encoding="utf-8")
    git(repo, "add", "a.md")
    set_mtime(repo / "a.md", OLD)
    assert last_updated(str(repo), ["a.md"]) == {"a.md": OLD}


def test_a_touched_but_unchanged_file_keeps_its_commit_date(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    set_mtime(repo / "a.md", JUN)
    assert last_updated(str(repo), ["a.md"]) == {"a.md": JAN}


def test_an_untracked_file_falls_back_to_the_file_mtime(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    (repo / "new.md").write_text("n", encoding="utf-8")
    set_mtime(repo / "new.md", OLD)
    assert last_updated(str(repo), ["a.md", "new.md"]) == {"a.md": JAN, "new.md": OLD}


def test_a_file_in_an_untracked_folder_falls_back_to_the_file_mtime(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    (repo / "drafts" / "deep").mkdir(parents=True)
    (repo / "drafts" / "deep" / "new.md").write_text("n", encoding="utf-8")
    set_mtime(repo / "drafts" / "deep" / "new.md", OLD)
    assert last_updated(str(repo), ["drafts/deep/new.md"]) == {"drafts/deep/new.md": OLD}


def test_a_deleted_then_recreated_untracked_file_falls_back_to_the_file_mtime(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a", "b.md": "b"})
    git(repo, "rm", "-q", "a.md")
    git(repo, "commit", "-q", "-m", "drop a", day=MAR)
    (repo / "a.md").write_text("a again", encoding="utf-8")
    set_mtime(repo / "a.md", OLD)
    assert last_updated(str(repo), ["a.md"]) == {"a.md": OLD}


def test_a_deletion_merged_from_another_branch_does_not_count_as_an_update(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a", "b.md": "b"})
    git(repo, "checkout", "-q", "-b", "side")
    git(repo, "rm", "-q", "a.md")
    commit(repo, MAR, {"b.md": "b, revised"})  # the side branch deletes a.md on MAR
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "--no-commit", "side")
    git(repo, "checkout", "HEAD", "--", "a.md")  # ... and the merge keeps it
    git(repo, "commit", "-q", "-m", "merge side, keep a", day=JUN)
    assert last_updated(str(repo), ["a.md", "b.md"]) == {"a.md": JAN, "b.md": MAR}


def test_a_folder_that_is_not_a_git_repository_gets_mtimes(tmp_path: Path) -> None:
    (tmp_path / "notes" / "sub").mkdir(parents=True)
    for name, day in (("a.md", OLD), ("sub/b c.md", JAN)):
        (tmp_path / "notes" / name).write_text("x", encoding="utf-8")
        set_mtime(tmp_path / "notes" / name, day)
    assert last_updated(str(tmp_path / "notes"), ["a.md", "sub/b c.md"]) == {"a.md": OLD, "sub/b c.md": JAN}


def test_a_repository_without_commits_gets_mtimes(tmp_path: Path) -> None:
    repo = init(tmp_path / "vault")
    (repo / "a.md").write_text("a", encoding="utf-8")
    git(repo, "add", "a.md")
    set_mtime(repo / "a.md", OLD)
    assert last_updated(str(repo), ["a.md"]) == {"a.md": OLD}


def test_git_not_on_path_gives_mtimes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    set_mtime(repo / "a.md", OLD)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert last_updated(str(repo), ["a.md"]) == {"a.md": OLD}


def test_a_git_timeout_gives_mtimes_without_raising(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    set_mtime(repo / "a.md", OLD)

    def too_slow(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        assert kwargs.get("timeout"), "every git process needs a timeout"
        raise subprocess.TimeoutExpired(args, float(kwargs["timeout"]))  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess, "run", too_slow)
    assert last_updated(str(repo), ["a.md"]) == {"a.md": OLD}


def test_one_git_log_dates_many_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init(tmp_path / "vault")
    names = [f"notes/n{i:03}.md" for i in range(200)]
    commit(repo, JAN, {name: name for name in names[:100]})
    commit(repo, MAR, {name: name for name in names[100:]})
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(list(args))
        return real_run(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(subprocess, "run", counting_run)
    result = last_updated(str(repo / "notes"), [name.removeprefix("notes/") for name in names])
    assert sorted(set(result.values())) == [JAN, MAR] and len(result) == 200
    assert sum("log" in args for args in calls) == 1
    assert len(calls) <= 3  # rev-parse, status, log: the same for 2 notes or 10,000
    assert all(args[0] == "git" for args in calls)


def test_a_shallow_clone_dates_older_files_by_its_boundary_commit(tmp_path: Path) -> None:
    origin = init(tmp_path / "origin")
    commit(origin, JAN, {"a.md": "a"})
    commit(origin, MAR, {"b.md": "b"})
    commit(origin, JUN, {"c.md": "c"})
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "2", origin.as_uri(), str(clone)], check=True, capture_output=True)
    # a.md last changed in JAN, before the clone's oldest commit (MAR): that commit's date is the best known.
    assert last_updated(str(clone), ["a.md", "b.md", "c.md"]) == {"a.md": MAR, "b.md": MAR, "c.md": JUN}


def test_source_date_epoch_caps_git_and_mtime_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JAN, {"a.md": "a"})
    commit(repo, JUN, {"b.md": "b"})
    (repo / "draft.md").write_text("d", encoding="utf-8")  # mtime: now
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2021, 3, 7, 23, 59, tzinfo=UTC).timestamp())))
    assert last_updated(str(repo), ["a.md", "b.md", "draft.md"]) == {"a.md": JAN, "b.md": MAR, "draft.md": MAR}


def test_a_malformed_source_date_epoch_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = init(tmp_path / "vault")
    commit(repo, JUN, {"a.md": "a"})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert last_updated(str(repo), ["a.md"]) == {"a.md": JUN}


def test_a_missing_file_gets_the_build_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(datetime(2021, 3, 7, tzinfo=UTC).timestamp())))
    assert last_updated(str(tmp_path), ["gone.md"]) == {"gone.md": MAR}


def test_no_paths_runs_no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("git ran for an empty vault")

    monkeypatch.setattr(subprocess, "run", no_run)
    assert last_updated(str(tmp_path), []) == {}

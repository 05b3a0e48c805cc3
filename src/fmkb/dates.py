"""Each note's "last updated" date, from git history, with the file's mtime as the fallback.

A vault can hold 10,000 notes, so the whole docs folder costs three git processes in all
(`rev-parse`, `status`, one `log`), never one per note.

Which date a note gets:

- Committed and unchanged since: the committer date of the newest commit that added or
  modified it. The committer date, not the author date, because it is when the change
  entered this history: a rebased, cherry-picked or applied patch keeps its (possibly much
  older) author date, and git walks history in committer-date order, so "newest" and "date"
  then agree.
- Modified, staged, untracked or ignored in the working tree: the file's modification time,
  because the contributor's copy is newer than anything in history.
- No usable git (not installed, not a repository, no commits yet, a command fails or times
  out): the modification time of every file. These cases never raise; they are logged.
- A path that does not exist, or cannot be stat'ed: the build date.

A shallow clone (CI often checks out with depth 1) is detected and logged, and its dates are
still used: they are the best available, but every note last changed before the clone's
boundary commit gets that commit's date. Fetch the full history (`fetch-depth: 0` with
actions/checkout) for true dates.

Dates are calendar days in UTC, whatever the build machine's time zone, so two builds of
the same commit agree. When the environment variable SOURCE_DATE_EPOCH (seconds since
1970-01-01 UTC, see https://reproducible-builds.org/specs/source-date-epoch/) is set, no
date is later than that day: a working-copy mtime or "today" cannot leak into a
reproducible build.
"""

from __future__ import annotations

import logging
import os
import posixpath
import subprocess
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime

log = logging.getLogger("mkdocs.plugins.fmkb.dates")

GIT_TIMEOUT = 60.0
"""Seconds any one git process may take before the folder is dated by mtimes instead."""

# Settings that override a contributor's git config which would change the output parsed here.
_GIT_CONFIG = (
    "-c", "core.quotepath=false",
    "-c", "diff.relative=false",  # paths stay relative to the repository root, as the prefix assumes
    "-c", "log.showRoot=true",  # the root commit (and a shallow clone's boundary) lists its files
    "-c", "log.showSignature=false",
    "-c", "color.ui=false",
)  # fmt: skip


class _GitUnavailable(Exception):
    """git cannot date this folder; every note falls back to its mtime."""


def last_updated(docs_dir: str | os.PathLike[str], paths: Iterable[str]) -> dict[str, date]:
    """The "last updated" date of each of `paths` (relative to `docs_dir`, forward slashes).

    Every path given is a key of the result, so callers can index it without checks.
    See the module docstring for where each date comes from.
    """
    root = os.fspath(docs_dir)
    wanted = list(dict.fromkeys(paths))
    if not wanted:
        return {}
    cap = _source_date_epoch()
    try:
        committed = _git_dates(root)
    except _GitUnavailable as exc:
        log.debug("No git dates for %s (%s): using file modification times", root, exc)
        committed = {}
    result: dict[str, date] = {}
    for path in wanted:
        when = committed.get(_key(path))
        day = when if when is not None else _mtime_date(root, path, cap)
        result[path] = min(day, cap) if cap is not None else day
    return result


def _key(path: str) -> str:
    """One spelling per file: forward slashes, no `./`, composed unicode (macOS may decompose)."""
    return unicodedata.normalize("NFC", posixpath.normpath(path.replace(os.sep, "/")))


def _day(seconds: float) -> date:
    return datetime.fromtimestamp(seconds, tz=UTC).date()


def _source_date_epoch() -> date | None:
    """The SOURCE_DATE_EPOCH day, if set; a malformed value is logged and ignored."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    try:
        return _day(int(raw))
    except (ValueError, OverflowError, OSError):
        log.warning("SOURCE_DATE_EPOCH=%r is not a number of seconds since 1970: ignored for note dates", raw)
        return None


def _mtime_date(root: str, path: str, cap: date | None) -> date:
    try:
        return _day(os.stat(os.path.join(root, path)).st_mtime)
    except (OSError, ValueError, OverflowError):
        return cap if cap is not None else datetime.now(tz=UTC).date()


def _git(root: str, *args: str) -> bytes:
    """stdout of `git -C root <args>`; _GitUnavailable for any failure (nothing is printed)."""
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0")  # a build never takes index.lock
    try:
        done = subprocess.run(
            ["git", "-C", root, *_GIT_CONFIG, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        log.info("git %s took over %.0f s in %s: using file modification times", args[0], GIT_TIMEOUT, root)
        raise _GitUnavailable("timed out") from exc
    except OSError as exc:  # git not installed, not executable, docs dir missing
        raise _GitUnavailable(str(exc)) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _GitUnavailable(message[-1] if message else f"git {args[0]} exited with {done.returncode}")
    return done.stdout


def _git_dates(root: str) -> dict[str, date]:
    """Committed date of every clean, tracked file under `root`, keyed by `_key` of its path."""
    prefix = _repository_prefix(root)
    dirty_files, dirty_dirs = _dirty(root, prefix)
    log_output = _git(
        root, "log", "--format=%x00%ct", "--name-only", "-z", "--no-renames", "--diff-filter=AMT", "--", "."
    )
    newest = _parse_log(log_output, prefix)
    return {
        path: _day(seconds)
        for path, seconds in newest.items()
        if path not in dirty_files and not (dirty_dirs and _parents(path) & dirty_dirs)
    }


def _repository_prefix(root: str) -> str:
    """Path of `root` inside its repository ("" at the top, else ending in "/")."""
    out = _git(root, "rev-parse", "--is-inside-work-tree", "--is-shallow-repository", "--show-prefix")
    inside, _, rest = out.partition(b"\n")
    shallow, _, prefix = rest.partition(b"\n")
    if inside.strip() != b"true":
        raise _GitUnavailable("not inside a work tree")
    if shallow.strip() == b"true":
        log.info(
            "%s is a shallow git clone: notes last changed before its oldest commit get that commit's date "
            "(fetch the full history for true dates)",
            root,
        )
    return _key_prefix(prefix.removesuffix(b"\n"))


def _key_prefix(raw: bytes) -> str:
    return unicodedata.normalize("NFC", os.fsdecode(raw))


def _parents(path: str) -> set[str]:
    """Folders holding `path`, each ending in "/" as git status prints untracked folders."""
    parts = path.split("/")[:-1]
    return {"/".join(parts[: i + 1]) + "/" for i in range(len(parts))}


def _relative(raw: bytes, prefix: str) -> str | None:
    """A repository-root path from git as a docs-relative `_key`, or None if outside the docs dir."""
    name = _key_prefix(raw)
    return name[len(prefix) :] if name.startswith(prefix) and len(name) > len(prefix) else None


def _dirty(root: str, prefix: str) -> tuple[set[str], set[str]]:
    """Files and folders (ending in "/") whose working copy differs from the last commit.

    Modified, staged, untracked and ignored entries all count: any of them is newer than, or
    absent from, history. Porcelain v1 paths are relative to the repository root whatever
    the user's config; with -z they are verbatim, and a rename or copy adds its source path.
    """
    out = _git(root, "status", "--porcelain", "-z", "--untracked-files=normal", "--ignored", "--", ".")
    files: set[str] = set()
    folders: set[str] = set()
    entries = iter(out.split(b"\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        if entry[:1] in (b"R", b"C"):
            next(entries, None)  # the source path: gone from (or unchanged in) the working tree
        path = _relative(entry[3:], prefix)
        if path is None:
            continue
        if path.endswith("/"):
            folders.add(path)
        else:
            files.add(path)
    return files, folders


def _parse_log(out: bytes, prefix: str) -> dict[str, int]:
    """Newest commit time of each docs-relative path in `git log --format=%x00%ct --name-only -z`.

    The stream is, per commit, NUL, the timestamp, NUL, a newline, then each name followed by
    NUL. Names are never empty, so an empty field always starts a commit. The largest time
    wins rather than the first seen, so the result does not depend on how git interleaves
    branches whose clocks disagree.
    """
    newest: dict[str, int] = {}
    seconds: int | None = None
    expect_time = first_name = False
    for field in out.split(b"\0"):
        if expect_time:
            try:
                seconds = int(field)
            except ValueError:
                seconds = None
            expect_time, first_name = False, True
            continue
        if not field:
            expect_time = True
            continue
        if first_name and field.startswith(b"\n"):
            field = field[1:]
        first_name = False
        path = _relative(field, prefix) if seconds is not None and field else None
        if path is not None and seconds is not None and (path not in newest or seconds > newest[path]):
            newest[path] = seconds
    return newest

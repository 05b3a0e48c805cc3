"""`fmkb rename OLD NEW`: move a note, attachment or folder, and rewrite every link to it.

Every wiki-link, embed and Markdown link that reached a moved file before the move reaches
it after: a link that still resolves (by title or alias, or within a moved folder) is left
as it is; any other is rewritten in the style it was written in (a bare name stays a bare
name when that is unique, a path stays a path), keeping its headings, block id, label and
size, and each rewrite is verified against the vault as it will be. Other bytes are left
untouched (a file's BOM and CRLF line ends are kept). It is all or nothing: the new
contents are written atomically, then the move is made; on any failure every file is put
back as it was.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from .config import Settings
from .edits import Edit, EditRefused, apply_edits
from .fsutil import WriteRefused, replace_file
from .load import NoteFiles, load_note
from .model import MdLink, Note, WikiLink
from .resolve import Index, build_index, check_link, check_md_link, exact_file_name, md_target
from .scan import parse_wikilink


class RenameError(Exception):
    """Why nothing was renamed."""


@dataclass
class RenamePlan:
    moves: list[tuple[str, str]]  # (from, to), absolute: one file, or one folder
    root: str  # the notes folder
    edits: dict[str, bytes] = field(default_factory=dict)  # absolute path (before the move) -> new bytes
    originals: dict[str, bytes] = field(default_factory=dict)
    links: int = 0  # links rewritten

    def summary(self, settings: Settings) -> str:
        (old, new), *_ = self.moves
        notes = len(self.edits)
        return (
            f"renamed {settings.shown(old)} to {settings.shown(new)}; "
            f"rewrote {self.links} link{'s' if self.links != 1 else ''} in {notes} note{'s' if notes != 1 else ''}"
        )


def plan_rename(settings: Settings, old: str, new: str) -> RenamePlan:
    """What renaming `old` to `new` (paths as the user typed them) writes; raises RenameError."""
    docs = os.path.realpath(settings.docs_dir)
    old_abs, new_abs = os.path.abspath(old), os.path.abspath(new)
    if (os.path.isdir(new_abs) or new.endswith(("/", os.sep))) and not os.path.isdir(old_abs):
        new_abs = os.path.join(new_abs, os.path.basename(old_abs))  # `mv a.md folder/`
    for path in (old_abs, new_abs):
        if not _inside(docs, path):
            raise RenameError(f"{path} is not inside the notes folder {settings.shown(settings.docs_dir)}")
    if not os.path.exists(old_abs):
        raise RenameError(f"{old} does not exist")
    if old_abs.endswith(".md") and not new_abs.endswith(".md") and not os.path.isdir(old_abs):
        new_abs += ".md"
    if os.path.exists(new_abs) and os.path.realpath(new_abs) != os.path.realpath(old_abs):
        raise RenameError(f"{new} already exists; not overwriting it")
    old_rel = _rel(docs, old_abs)
    new_rel = _rel(docs, new_abs)
    if old_rel == new_rel:
        raise RenameError("the old and the new name are the same")
    if old_rel in ("", ".") or new_rel in ("", "."):
        raise RenameError("cannot rename the notes folder itself")
    if any(part.startswith(".") for part in new_rel.split("/")):
        raise RenameError(f"{new} is in a hidden folder or is a hidden file: the site would not publish it")
    bad = _NOT_IN_NAMES.search(new_rel)
    if bad:
        raise RenameError(f"'{bad.group()}' cannot be in a note's name: a wiki-link to it could not be written")

    files = NoteFiles.find(settings)
    vault = files.vault()

    def moved(path: str) -> str:
        if path == old_rel:
            return new_rel
        if path.startswith(old_rel + "/"):
            return new_rel + path[len(old_rel) :]
        return path

    is_folder = os.path.isdir(old_abs)
    if not is_folder and old_rel not in {n.path for n in vault.notes} and old_rel not in vault.files:
        raise RenameError(f"{old} is not a note or attachment the site publishes")
    if new_rel.startswith(old_rel + "/"):
        raise RenameError("cannot move a folder into itself")

    before = build_index(vault.notes, vault.files)
    after_notes = {n.path: dataclasses.replace(n, path=moved(n.path)) for n in vault.notes}
    after = build_index(list(after_notes.values()), {moved(f) for f in vault.files})
    plan = RenamePlan([(old_abs, new_abs)], settings.docs_dir)
    for note in vault.notes:
        edits = _note_edits(note, after_notes[note.path], before, after, moved)
        if not edits:
            continue
        path = os.path.join(settings.docs_dir, note.path)
        shown = settings.shown(path)
        if not os.stat(path).st_mode & 0o222:  # its owner made it read-only (os.access says yes to root)
            raise RenameError(f"{shown} links to it but is read-only; nothing renamed")
        with open(path, "rb") as fh:
            raw = fh.read()
        plan.originals[path] = raw
        try:
            plan.edits[path] = apply_edits(raw, note.text, edits, shown)
        except EditRefused as e:
            raise RenameError(f"{e}; nothing renamed") from None
        _verify(note, plan.edits[path], shown)
        plan.links += len(edits)
    return plan


# Obsidian refuses these in a file name; a wiki-link to such a name cannot be written
_NOT_IN_NAMES = re.compile(r"[\[\]#^|]")


def _verify(note: Note, edited: bytes, shown: str) -> None:
    """The rewritten note reads as the old one did: its front matter still parses, and it has as
    many links (a new name that YAML quoting or link syntax cannot hold would lose one)."""
    again, found = load_note(note.path, edited)
    if any(d.rule == "frontmatter-yaml" for d in found) and not note.frontmatter_refused:
        raise RenameError(f"{shown}: the new name cannot be written in its front matter; nothing renamed")
    if len(again.links) != len(note.links) or len(again.md_links) != len(note.md_links):
        raise RenameError(f"{shown}: the new name cannot be written as a link there; nothing renamed")


def _note_edits(note: Note, renamed: Note, before: Index, after: Index, moved: Callable[[str], str]) -> list[Edit]:
    edits: list[Edit] = []
    for link in note.links:
        res, problem = check_link(before, note, link)
        target = res.note.path if res.note is not None else res.file
        if problem is not None or target is None:
            continue  # a broken link stays as it was
        wanted = moved(target)
        by_file_name = _names_file(note.path, link.target, target)
        if _wiki_reaches(after, renamed, link.raw, wanted) and (
            not by_file_name
            or (
                _names_file(renamed.path, link.target, wanted)
                and exact_file_name(renamed.path, link.target, wanted) is None
            )
        ):
            continue  # it still reaches the file, as Obsidian reads it too (by file name, or by title here)
        if link.start < 0:
            raise RenameError(
                f"{note.path}:{link.line}: the link {link.raw} sits in a folded YAML value; write it on one line first"
            )
        edits.append((link.start, link.end, _rewritten_wiki(link, wanted, after, renamed)))
    for md in note.md_links:
        res, _ = check_md_link(before, note, md, lambda _n: [])
        target = res.note.path if res.note is not None else res.file
        if target is None or md.start < 0:
            continue
        wanted = moved(target)
        angle = md.start > 0 and note.text[md.start - 1] == "<"
        new = _rewritten_md(md, renamed.path, wanted, angle)
        if md.dest == _rewritten_md(md, note.path, target, angle):
            if new != md.dest:  # written the shortest way: kept the shortest way (a rename back restores it)
                edits.append((md.start, md.end, new))
            continue
        found = md_target(renamed.path, md.dest)
        if found is None or found[0] != wanted:  # written some other way, and broken by the move
            edits.append((md.start, md.end, new))
    return edits


def _names_file(source: str, written: str, path: str) -> bool:
    """Whether a wiki-link target as written names `path` by file name (its path, a tail of it,
    or a path from the linking note's folder), the way Obsidian resolves links."""
    w = written.replace("\\", "/").strip().lstrip("/").casefold()
    p = path.casefold()
    if p.endswith(".md"):
        p = p[:-3]
        w = w[:-3] if w.endswith(".md") else w
    if not w:
        return False
    relative = posixpath.normpath(posixpath.join(posixpath.dirname(source.casefold()), w))
    return p == w or p.endswith("/" + w) or p == relative


def _wiki_reaches(index: Index, source: Note, raw: str, wanted: str) -> bool:
    embed = raw.startswith("!")
    inner = raw[3:-2] if embed else raw[2:-2]
    target, headings, block, label = parse_wikilink(inner)
    link = WikiLink(raw, target, headings, block, label, embed, None, 1, 1, 0, len(raw))
    res, problem = check_link(index, source, link)
    reached = res.note.path if res.note is not None else res.file
    return problem is None and reached == wanted


def _rewritten_wiki(link: WikiLink, wanted: str, after: Index, source: Note) -> str:
    """The link with its target part replaced: the first form, in the link's own style, that
    reaches `wanted` in the renamed vault: a bare name stays a bare name when that is unique, a
    path stays a path. (At the top of the vault the two are one: a path link to a note moved
    there becomes a bare name, which a move back keeps bare.)"""
    prefix = "![[" if link.raw.startswith("!") else "[["
    inner = link.raw[len(prefix) : -2]
    cut = min((i for i in (inner.find("#"), inner.find("|"), inner.find("\\|")) if i >= 0), default=len(inner))
    written = inner[:cut].strip()
    is_note = wanted.endswith(".md")
    bare = wanted[:-3] if is_note else wanted
    with_md = written.lower().endswith(".md")
    stem = posixpath.basename(bare) + (".md" if with_md and is_note else "")
    path = bare + (".md" if with_md and is_note else "")
    forms = [path, stem] if "/" in written else [stem, path]
    if written.startswith("/"):
        forms.insert(0, "/" + path)
    elif written.startswith(("./", "../")):
        relative = posixpath.relpath(path, posixpath.dirname(source.path) or ".")
        forms.insert(0, relative if relative.startswith("../") else "./" + relative)
    for form in forms:
        raw = prefix + form + inner[cut:] + "]]"
        if _wiki_reaches(after, source, raw, wanted):
            return raw
    raise RenameError(f"{source.path}:{link.line}: no way to write {link.raw} so that it reaches {wanted}")


def _rewritten_md(link: MdLink, source: str, wanted: str, angle: bool = False) -> str:
    path, sep, rest = link.dest.partition("#")
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
        query = "?" + query
    if path.startswith("/"):
        new = "/" + wanted
    else:
        new = posixpath.relpath(wanted, posixpath.dirname(source) or ".")
    if "%" in path or (" " in new and not angle):  # a bare destination holds no raw space
        new = quote(new, safe="/")
    return new + query + (sep + rest if sep else "")


def apply_rename(plan: RenamePlan) -> None:
    """Write the rewritten notes, then move; on any failure put everything back."""
    written: list[str] = []
    try:
        for path, data in plan.edits.items():
            try:
                replace_file(path, data, plan.originals[path])  # keeps the file's mode; refuses a changed file
            except WriteRefused:
                raise RenameError(f"{path} changed while fmkb was working; nothing renamed") from None
            written.append(path)
        (old, new), *_ = plan.moves
        if os.path.exists(new) and os.path.realpath(new) != os.path.realpath(old):
            raise RenameError(f"{new} appeared while fmkb was working; nothing renamed")
        os.makedirs(os.path.dirname(new), exist_ok=True)
        os.rename(old, new)
    except BaseException:
        for path in written:
            replace_file(path, plan.originals[path], plan.edits[path])
        raise
    _remove_empty_folders(os.path.dirname(old), plan.root)


def _remove_empty_folders(folder: str, root: str) -> None:
    """The folders a move left empty, up to the notes folder (a rename back leaves no trace)."""
    root = os.path.realpath(root)
    while os.path.realpath(folder).startswith(root + os.sep):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)


def _inside(root: str, path: str) -> bool:
    real = os.path.realpath(os.path.dirname(path)) if not os.path.exists(path) else os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


def _rel(root: str, path: str) -> str:
    parent = os.path.realpath(os.path.dirname(path))
    return posixpath.normpath(os.path.relpath(os.path.join(parent, os.path.basename(path)), root).replace(os.sep, "/"))

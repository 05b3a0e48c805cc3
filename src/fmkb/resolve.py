"""Resolve: wiki-link targets to notes or files, headings and block ids, and
citation keys to bib entries. Obsidian's resolution order, with stricter errors.

Everything is a dictionary lookup on an index built once per vault; nothing
here walks all notes for one link.
"""

from __future__ import annotations

import difflib
import posixpath
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from .model import Citation, CiteItem, Heading, MdLink, Note, WikiLink
from .scan import looks_like_key


def _fold(s: str) -> str:
    return unicodedata.normalize("NFC", s).casefold().strip()


def _strip_md(path: str) -> str:
    return path[:-3] if path.lower().endswith(".md") else path


@dataclass(slots=True)
class Index:
    notes: list[Note]
    by_path: dict[str, list[Note]] = field(default_factory=dict)  # "papers/x" (no .md)
    by_stem: dict[str, list[Note]] = field(default_factory=dict)
    by_suffix: dict[str, list[Note]] = field(default_factory=dict)  # "papers/x", "x/y" ...
    by_name: dict[str, list[Note]] = field(default_factory=dict)  # titles and aliases
    files: dict[str, list[str]] = field(default_factory=dict)  # attachments by path
    files_by_suffix: dict[str, list[str]] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)  # folded name -> shown name, for hints
    memo: dict[tuple[str, str], Resolution] = field(default_factory=dict)  # (folder, target) -> result


def _add(d: dict, key: str, value) -> None:
    bucket = d.setdefault(key, [])
    if value not in bucket:
        bucket.append(value)


def _note_keys(path: str, stem: str, names: list[str]):
    """(table, folded key) for every index entry of a note: the one definition of its names."""
    rel = _strip_md(path)
    yield "by_path", _fold(rel)
    yield "by_stem", _fold(stem)
    parts = rel.split("/")
    for i in range(1, len(parts)):
        yield "by_suffix", _fold("/".join(parts[i:]))
    yield "by_suffix", _fold(rel)
    for name in names:
        yield "by_name", _fold(name)


def index_keys(path: str, title: str, aliases: list[str]) -> set[str]:
    """Every key under which a note with this path, title and aliases can be found."""
    stem = Note(path, "", {}, 0).stem
    return {key for _table, key in _note_keys(path, stem, [title, *aliases])}


def build_index(notes: list[Note], files: set[str] | frozenset[str] = frozenset()) -> Index:
    ix = Index(notes)
    for note in notes:
        names = [note.title, *note.aliases]
        for table, key in _note_keys(note.path, note.stem, names):
            _add(getattr(ix, table), key, note)
        ix.display.setdefault(_fold(note.stem), note.stem)
        for name in names:
            ix.display.setdefault(_fold(name), name)
    for f in files:
        _add(ix.files, _fold(f), f)
        parts = f.split("/")
        for i in range(len(parts)):
            _add(ix.files_by_suffix, _fold("/".join(parts[i:])), f)
    return ix


@dataclass(frozen=True, slots=True)
class Resolution:
    note: Note | None = None
    file: str | None = None
    rule: str | None = None  # set when the link is broken
    message: str = ""
    hint: str | None = None
    keys: tuple[str, ...] = ()  # the index keys the answer was looked up under (see resultcache)
    via: str = ""  # how a note was found: "file" (its path or file name, as Obsidian finds it) or "name"


def qualified(note: Note) -> str:
    return _strip_md(note.path)


def _escapes(path: str) -> bool:
    return path == ".." or path.startswith("../")


def resolve_target(ix: Index, source: Note, target: str) -> Resolution:
    """Find the note or file a link target names, in Obsidian's order.

    The answer depends only on the linking note's folder and the target, so it is
    memoized per (folder, target): a vault links to the same notes again and again.
    """
    key = (source.path.rpartition("/")[0], target)  # vault paths are clean: this is dirname
    found = ix.memo.get(key)
    if found is None:
        found = ix.memo[key] = _resolve_target(ix, key[0], target)
    return found


def _resolve_target(ix: Index, here: str, target: str) -> Resolution:
    t = target.replace("\\", "/").strip()
    absolute = t.startswith("/")
    t = t.lstrip("/")
    base = _strip_md(t)
    if not base:
        from_root = from_here = ""
    elif "." not in base and "//" not in base:  # the common case: nothing for normpath to do
        from_root = base
        from_here = f"{here}/{base}" if here else base
    else:
        from_root = posixpath.normpath(base)
        from_here = posixpath.normpath(posixpath.join(here, base))
    if ".." in base.split("/"):
        if _escapes(from_root) and (absolute or _escapes(from_here)):
            return Resolution(
                rule="link-outside-vault",
                message=f"wiki-link [[{target}]] points outside the vault",
                hint="link to a note inside notes/ by its name",
            )
    folded = _fold(base)
    root_key = folded if from_root == base else _fold(from_root)
    here_key = _fold(from_here)
    keys = (root_key, here_key, folded) if here_key != root_key else (root_key, folded)
    steps = (  # each step is looked up only when the ones before it found nothing
        ("file", lambda: ix.by_path.get(root_key, []) if not _escapes(from_root) else []),
        ("file", lambda: ix.by_path.get(here_key, []) if not absolute and not _escapes(from_here) else []),
        ("file", lambda: ix.by_suffix.get(folded, []) if "/" in base else ix.by_stem.get(folded, [])),
        ("name", lambda: ix.by_name.get(folded, []) if base else []),
    )
    for via, step in steps:
        found = step()
        if len(found) == 1:
            return Resolution(note=found[0], keys=keys, via=via)
        if len(found) > 1:
            options = sorted(qualified(n) for n in found)
            return Resolution(
                rule="link-ambiguous",
                message=f"wiki-link [[{target}]] matches {len(found)} notes: {', '.join(options)}",
                hint="write " + " or ".join(f"[[{o}]]" for o in options),
                keys=keys,
            )
    # attachments (images, PDFs): by path from the root, from this note, then by unique name
    for key in (from_root, None if absolute else from_here):
        if key and not _escapes(key) and ix.files.get(_fold(key)):
            return Resolution(file=ix.files[_fold(key)][0], keys=keys)
    found_files = ix.files_by_suffix.get(_fold(t), [])
    if len(found_files) == 1:
        return Resolution(file=found_files[0], keys=keys)
    if len(found_files) > 1:
        return Resolution(
            rule="link-ambiguous",
            message=f"[[{target}]] matches {len(found_files)} files",
            hint="write " + " or ".join(f"[[{f}]]" for f in sorted(found_files)),
            keys=keys,
        )
    close = close_matches(_fold(posixpath.basename(base) or base), ix.display, n=1, cutoff=0.75)
    hint = f"did you mean [[{ix.display[close[0]]}]]?" if close else "create the note, or fix the link's spelling"
    return Resolution(rule="link-unresolved", message=f"unresolved wiki-link [[{target}]]", hint=hint, keys=keys)


def close_matches(word: str, names, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """difflib's close matches, over the names that share a first or second letter with `word`.

    Only hints use this; the prefilter keeps a typo's cost independent of vault size
    in practice (a full difflib pass over 30,000 names takes about 0.2 s).
    """
    head = set(word[:2])
    pool = [name for name in names if name[:1] in head or name[1:2] in head] if len(names) > 2000 else list(names)
    return difflib.get_close_matches(word, pool, n=n, cutoff=cutoff)


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def _loose(s: str) -> str:
    return _PUNCT.sub("", s.casefold())


def find_heading(headings: list[Heading], path: tuple[str, ...]) -> Heading | None:
    """Match `#A#B`: B must sit inside A's section. Exact text first, then loose."""
    start, end, parent = 0, len(headings), None
    for wanted in path:
        window = headings[start:end]
        hit = next((i for i, h in enumerate(window) if h.text == wanted), None)
        if hit is None:
            lw = _loose(wanted)
            hit = next((i for i, h in enumerate(window) if _loose(h.text) == lw), None)
        if hit is None:
            return None
        parent = window[hit]
        start = start + hit + 1
        end = next((j for j in range(start, end) if headings[j].level <= parent.level), end)
    return parent


@dataclass(frozen=True, slots=True)
class LinkProblem:
    rule: str
    message: str
    hint: str | None


def check_link(ix: Index, source: Note, link: WikiLink) -> tuple[Resolution, LinkProblem | None]:
    """Resolve a link fully: target, then heading path or block id."""
    if not link.target:
        res = Resolution(note=source)
    else:
        res = resolve_target(ix, source, link.target)
    if res.rule:
        rule = "embed-missing" if link.embed and res.rule == "link-unresolved" else res.rule
        msg = (
            res.message.replace("unresolved wiki-link", "embed of a missing file or note")
            if rule == "embed-missing"
            else res.message
        )
        return res, LinkProblem(rule, msg, res.hint)
    target = res.note
    if target is None:
        return res, None
    if link.headings and find_heading(target.headings, link.headings) is None:
        names = [h.text for h in target.headings]
        close = close_matches(link.headings[-1], names, n=1, cutoff=0.5)
        hint = (
            f"did you mean #{close[0]}?"
            if close
            else (
                f"headings of {qualified(target)}: " + ", ".join(names[:8])
                if names
                else f"{qualified(target)} has no headings"
            )
        )
        return res, LinkProblem("link-heading", f"no heading '{'#'.join(link.headings)}' in {qualified(target)}", hint)
    if link.block and link.block.casefold() not in {b.casefold() for b in target.block_ids}:
        ids = sorted(target.block_ids)
        hint = (
            "block ids there: " + ", ".join("^" + b for b in ids[:8])
            if ids
            else f"add ' ^{link.block}' at the end of the paragraph"
        )
        return res, LinkProblem("link-block", f"no block '^{link.block}' in {qualified(target)}", hint)
    return res, None


def cited_items(citation: Citation, bib_keys) -> list[CiteItem]:
    """The items that count as citations (the in-text rule: only known or key-like `@word`)."""
    if not citation.in_text:
        return list(citation.items)
    return [i for i in citation.items if i.key in bib_keys or looks_like_key(i.key)]


def nearest_keys(key: str, bib_keys, n: int = 3) -> list[str]:
    keys = list(bib_keys)
    close = close_matches(key, keys, n=n, cutoff=0.6)
    if not close:
        folded = {k.casefold(): k for k in keys}
        if key.casefold() in folded:
            close = [folded[key.casefold()]]
    return close


def md_target(source: str, dest: str) -> tuple[str, str] | None:
    """(path in the vault, anchor) that a Markdown link from note `source` names, resolved as
    MkDocs resolves it: relative to the note's folder, or from the notes folder when it starts
    with '/'; percent-escapes decoded. None when it climbs out of the vault; a path of ""
    is the note itself (a link to an anchor only)."""
    from urllib.parse import unquote

    path, _, anchor = dest.partition("#")
    path = unquote(path.partition("?")[0])
    if not path:
        return source, anchor
    base = "" if path.startswith("/") else posixpath.dirname(source)
    target = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
    if _escapes(target):
        return None
    if target == ".":
        target = ""
    if path.endswith("/") or not target:
        target = posixpath.join(target, "index.md")
    return target, anchor


def check_md_link(
    ix: Index, source: Note, link: MdLink, anchors: Callable[[Note], Collection[str]]
) -> tuple[Resolution, LinkProblem | None]:
    """Resolve a Markdown link or image to a note or attachment, then its anchor, as the built
    site has it: MkDocs rewrites a relative link to a file it publishes; it leaves an absolute
    path or a folder as written, which the site then does not serve.

    `anchors` gives a note's anchors as its page has them (the toc extension's heading ids)."""
    kind = "image" if link.image else "link"
    path = link.dest.partition("#")[0].partition("?")[0]
    if path.startswith("/") or (path.endswith("/") and path.strip("./")):
        found = md_target(source.path, link.dest)
        proper = ""
        if found is not None:
            target = found[0]
            if target in ix.files.get(_fold(target), []) or any(
                n.path == target for n in ix.by_path.get(_fold(_strip_md(target)), [])
            ):
                proper = f"write '{_relative(source.path, target)}{'#' + found[1] if found[1] else ''}'"
        why = "an absolute path" if path.startswith("/") else "a folder"
        message = f"Markdown {kind} '{link.dest}' is {why}: MkDocs leaves it as written and the site does not serve it"
        rule = "md-image-missing" if link.image else "md-link-unresolved"
        return Resolution(rule=rule), LinkProblem(
            rule, message, proper or "link to the note's file by a relative path, e.g. ../concepts/Note.md"
        )
    found = md_target(source.path, link.dest)
    if found is None:
        message = f"Markdown {kind} '{link.dest}' points outside the vault"
        hint = "link to a note or file inside the notes folder"
        return Resolution(rule="md-link-outside-vault"), LinkProblem("md-link-outside-vault", message, hint)
    target, anchor = found
    missing = "md-image-missing" if link.image else "md-link-unresolved"
    if link.image or not target.lower().endswith(".md"):
        same = ix.files.get(_fold(target), [])
        if target in same:
            return Resolution(file=target), None
        page = next((n for n in ix.by_path.get(_fold(_strip_md(target)), []) if n.path == target), None)
        if page is not None:  # an image of a page: MkDocs points it at the page
            return Resolution(note=page, keys=(_fold(_strip_md(target)),)), None
        hint = f"write '{_relative(source.path, same[0])}'" if same else "fix the path, or add the file"
        message = f"Markdown {kind} '{link.dest}' names no file ({target})"
        return Resolution(rule=missing), LinkProblem(missing, message, hint)
    key = _fold(_strip_md(target))
    notes = ix.by_path.get(key, [])
    note = next((n for n in notes if n.path == target), None)
    if note is None:
        if notes:  # the name differs only in case: MkDocs (and a case-sensitive disk) will not find it
            hint = f"write '{_relative(source.path, notes[0].path)}'"
        else:
            close = close_matches(_fold(posixpath.basename(_strip_md(target))), ix.display, n=1, cutoff=0.75)
            hint = f"did you mean [[{ix.display[close[0]]}]]?" if close else "fix the path, or create the note"
        message = f"Markdown {kind} '{link.dest}' names no note ({target})"
        return Resolution(rule=missing, keys=(key,)), LinkProblem(missing, message, hint)
    res = Resolution(note=note, keys=(key,))
    if anchor:
        ids = anchors(note)
        page_ids = ("fmkb-backlinks", "fmkb-references") if note.citations else ("fmkb-backlinks",)
        if anchor not in ids and anchor not in page_ids:
            # a hint compares the anchor with every id: only for pages of ordinary size
            close = close_matches(anchor, list(ids), n=1) if len(ids) <= 200 else []
            hint = f"did you mean '#{close[0]}'?" if close else "link to one of the page's headings"
            message = f"Markdown {kind} '{link.dest}': {note.path} has no anchor '#{anchor}'"
            return res, LinkProblem("md-link-anchor", message, hint)
    return res, None


def _relative(source: str, target: str) -> str:
    return posixpath.relpath(target, posixpath.dirname(source) or ".")


def written_target(raw: str) -> tuple[int, int]:
    """(start, end) of the target part of a wiki-link's raw text `[[target#h|label]]`."""
    start = 3 if raw.startswith("!") else 2
    inner = raw[start:-2]
    cut = min((i for i in (inner.find("#"), inner.find("|"), inner.find("\\|")) if i >= 0), default=len(inner))
    return start, start + cut


def exact_file_name(source: str, written: str, path: str) -> str | None:
    """How `written` should be spelt to name `path` by file name with the file's own case, or
    None when it already does (or does not name it by file name at all)."""
    w = written.replace("\\", "/").strip()
    lead = "/" if w.startswith("/") else ""
    w = w.lstrip("/")
    ext = w[-3:] if w.lower().endswith(".md") else ""
    base, exact = (w[:-3] if ext else w), _strip_md(path)
    here = posixpath.dirname(source)
    for candidate in (exact, *(exact.split("/", i)[-1] for i in range(1, exact.count("/") + 1))):
        if base.casefold() == candidate.casefold():
            return None if base == candidate else lead + candidate + ext
    relative = posixpath.relpath(exact, here or ".")
    if base.casefold() == relative.casefold() and base != relative:
        return lead + relative + ext
    return None


def link_name(ix: Index, note: Note) -> str:
    """The shortest way to name `note` by file name: its stem when that is unique, else its path."""
    return note.stem if len(ix.by_stem.get(_fold(note.stem), [])) == 1 else _strip_md(note.path)


def notes_at(ix: Index, path: str) -> list[Note]:
    """The notes whose path is `path` up to case (and a missing `.md`)."""
    return ix.by_path.get(_fold(_strip_md(path)), [])

"""Load: read a vault's notes once, split and parse front matter, scan bodies.

Each note is read and scanned exactly once; everything later stages need
(headings, block ids, links, citations, key positions) comes out of this pass.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from .diagnostics import Diagnostic, diag
from .model import Note, WikiLink
from .scan import LineIndex, find_wikilinks, scan
from .sources import Sources

if TYPE_CHECKING:
    from .config import Settings

# libyaml's loader when present (same safe semantics and marks, many times faster).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(slots=True)
class Vault:
    root: str  # absolute path of the notes folder
    prefix: str  # the notes folder relative to the repository root, for diagnostics
    notes: list[Note] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # attachments: non-Markdown files, relative paths
    diagnostics: list[Diagnostic] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """Drop a BOM and turn CRLF/CR into LF: columns stay true, lines count once."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _frontmatter_bounds(text: str) -> tuple[int, int, int] | None:
    """(yaml start offset, yaml end offset, body line index) or None when absent/unclosed."""
    if not text.startswith("---"):
        return None
    first_nl = text.find("\n")
    if first_nl == -1 or text[:first_nl].rstrip() != "---":
        return None
    pos = first_nl + 1
    line_no = 1
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else nl
        if text[pos:end].rstrip() in ("---", "..."):
            return first_nl + 1, pos, line_no + 1
        if nl == -1:
            break
        pos = nl + 1
        line_no += 1
    return None


MAX_FRONTMATTER = 256 * 1024
MAX_FLOW_DEPTH = 256
_BLOCK_PREFIX = re.compile(r"^[ \t?:-]{512,}", re.M)  # a line's indentation and block markers


def _too_complex(source: str) -> str | None:
    """Refuse front matter that could exhaust the YAML parser (libyaml recurses per level)."""
    if len(source) > MAX_FRONTMATTER:
        return f"front matter is larger than {MAX_FRONTMATTER // 1024} KB"
    deepest_block = max((len(m.group()) for m in _BLOCK_PREFIX.finditer(source)), default=0)
    if deepest_block > 2 * MAX_FLOW_DEPTH:  # `- - - - x` or deep indentation nests without brackets
        return f"front matter YAML is nested more than {MAX_FLOW_DEPTH} levels deep"
    if source.count("[") + source.count("{") > MAX_FLOW_DEPTH:
        depth = deepest = 0
        for ch in source:
            if ch in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif ch in "]}":
                depth = max(0, depth - 1)
        if deepest > MAX_FLOW_DEPTH:
            return f"front matter YAML is nested more than {MAX_FLOW_DEPTH} levels deep"
    return None


MAX_FRONTMATTER_VALUES = 10_000  # values front matter may expand to through YAML aliases


def _expanded_size(node: yaml.Node) -> int:
    """How many nodes `node` stands for once every alias is expanded (as a YAML loader,
    MkDocs' included, would build it), counted without expanding anything: a
    'billion laughs' of a few lines is refused instead of filling memory."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        if id(n) in sizes:
            continue
        children = (
            n.value
            if isinstance(n, yaml.SequenceNode)
            else [x for kv in n.value for x in kv]
            if isinstance(n, yaml.MappingNode)
            else []
        )
        if done:
            sizes[id(n)] = min(1 + sum(sizes.get(id(c), 1) for c in children), 1 << 40)
            continue
        stack.append((n, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(node)]


def _alias_bomb(relpath: str, source: str) -> Diagnostic:
    line = source[: source.find("&")].count("\n") + 2
    return diag(
        relpath,
        line,
        1,
        "frontmatter-yaml",
        f"front matter YAML aliases expand to more than {MAX_FRONTMATTER_VALUES:,} values",
        "write the values out; front matter holds a few short keys",
    )


def _walk_scalars(node: yaml.Node, seen: set[int]):
    """Yield every scalar node once, even through YAML aliases (no alias-bomb blow-up)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            yield n
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(reversed(n.value))
        elif isinstance(n, yaml.MappingNode):
            for k, v in reversed(n.value):
                stack.append(v)
                stack.append(k)


_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_NO = object()


def _scalar(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        v = node.value
        if node.tag == _INT and v.isascii() and v.isdigit() and (v == "0" or v[0] != "0"):
            return int(v)
    return _NO


def simple_mapping(node: yaml.Node | None) -> dict | None:
    """The value of a mapping from strings to strings, decimal integers and flat lists of those,
    read straight off libyaml's node graph; None for anything else.

    That is the shape of nearly every note's front matter, and PyYAML's generic constructor
    spends as long building it as libyaml spends parsing. Other shapes (other tags, nesting,
    merge keys, octal-looking numbers) go to the constructor, which gives the same values.
    """
    if not (isinstance(node, yaml.MappingNode) and node.tag == _MAP):
        return None  # tags such as !!python/object are for the constructor to refuse
    out: dict[str, Any] = {}
    for k, v in node.value:
        if not (isinstance(k, yaml.ScalarNode) and k.tag == _STR):
            return None
        value = _scalar(v)
        if value is _NO:
            if not (isinstance(v, yaml.SequenceNode) and v.tag == _SEQ):
                return None
            value = [_scalar(item) for item in v.value]
            if any(item is _NO for item in value):
                return None
        out[k.value] = value
    return out


@dataclass(slots=True)
class FrontMatter:
    """A note's front matter as parsed: the mapping, where each key sits, the wiki-links in its
    values, the line the body starts on, and what was wrong with it (then `meta` is empty)."""

    meta: dict[str, Any] = field(default_factory=dict)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (line, col)
    links: list[WikiLink] = field(default_factory=list)
    body_line: int = 0  # 0-based
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return any(d.rule == "frontmatter-yaml" for d in self.diagnostics)


def yaml_explained(problem: str, context: str, source: str, line: int) -> tuple[str, str]:
    """PyYAML's complaint in plain words, with the likely fix: (message, hint). `line` is the
    0-based line of the YAML `source` it points at."""
    lines = source.split("\n")
    here = lines[line] if line < len(lines) else ""
    before = next((s for s in reversed(lines[:line]) if s.strip()), "")
    said = f"(YAML: {problem})"
    if "tab character" in problem or "'\\t'" in problem:
        return f"front matter is indented with a tab {said}", "indent with spaces: YAML does not allow tabs"
    if "quoted scalar" in context:
        return f"a quote is opened and never closed {said}", "close the quote, or remove it"
    if "flow sequence" in context or "flow mapping" in context:
        hint = "close it with ']' or '}', and quote items that hold ',' or ':'"
        return f"a [list] or {{mapping}} is not closed {said}", hint
    if "mapping values are not allowed" in problem:
        if before and ":" not in before and not before.lstrip().startswith(("-", "#")):
            hint = f"add a colon: '{before.strip()}: ...', or join the lines"
            return f"the line before is not 'key: value' {said}", hint
        if here[: len(here) - len(here.lstrip())]:
            return f"this line is indented, but the key above takes no nested keys {said}", "start the key in column 1"
        return (
            f"a value contains ': ' and is not quoted {said}",
            f'quote the value: {here.split(":", 1)[0].strip()}: "{here.split(":", 1)[-1].strip()}"',
        )
    if "could not find expected ':'" in problem or "expected <document start>" in problem:
        return f"a line is not 'key: value' {said}", "write each line as 'key: value', keys starting in column 1"
    if "block end" in problem or "expected key" in problem:
        return f"the indentation does not line up {said}", "line up the keys: each top-level key starts in column 1"
    return f"front matter YAML: {problem}", "check the quotes, colons and indentation of the front matter"


def _refused(body_line: int, problem: Diagnostic) -> FrontMatter:
    return FrontMatter(body_line=body_line, diagnostics=[problem])


def parse_frontmatter(text: str, relpath: str, index: LineIndex) -> FrontMatter:
    bounds = _frontmatter_bounds(text)
    if bounds is None:
        if text.startswith("---\n") or text == "---":
            hint = "end the front matter with a line '---'"
            return _refused(0, diag(relpath, 1, 1, "frontmatter-yaml", "front matter is never closed", hint))
        return FrontMatter()
    start, end, body_line = bounds
    source = text[start:end]
    problem = _too_complex(source)
    if problem:
        hint = "front matter holds a few keys; move long content into the body"
        return _refused(body_line, diag(relpath, 2, 1, "frontmatter-yaml", problem, hint))
    line_base = 1  # the YAML starts on file line 2 (0-based 1)
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        data = simple_mapping(node)
        if data is None and node is not None:
            if "&" in source and _expanded_size(node) > MAX_FRONTMATTER_VALUES:
                return _refused(body_line, _alias_bomb(relpath, source))
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        opened = e.context and ("quoted scalar" in e.context or "flow" in e.context)
        mark = (e.context_mark if opened else None) or e.problem_mark or e.context_mark  # where it opened
        line = (mark.line + line_base + 1) if mark else 2
        col = (mark.column + 1) if mark else 1
        problem = (e.problem or "invalid YAML").strip()
        message, hint = yaml_explained(problem, e.context or "", source, mark.line if mark else 0)
        return _refused(body_line, diag(relpath, line, col, "frontmatter-yaml", message, hint))
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as e:
        msg = "front matter YAML is nested too deeply" if isinstance(e, RecursionError) else f"front matter YAML: {e}"
        return _refused(body_line, diag(relpath, 2, 1, "frontmatter-yaml", msg))
    finally:
        loader.dispose()
    if data is None:
        return FrontMatter(body_line=body_line)
    if not isinstance(data, dict):
        message = "front matter must be a mapping of keys to values"
        hint = "write 'key: value' lines, e.g. 'title: Scaling laws'"
        return _refused(body_line, diag(relpath, 2, 1, "frontmatter-schema", message, hint))
    positions: dict[str, tuple[int, int]] = {}
    repeated: list[Diagnostic] = []
    if isinstance(node, yaml.MappingNode):
        for k, _v in node.value:
            if isinstance(k, yaml.ScalarNode):
                at = (k.start_mark.line + line_base + 1, k.start_mark.column + 1)
                first = positions.setdefault(str(k.value), at)
                if first != at:  # YAML forbids it; PyYAML keeps the last value without a word
                    message = f"key '{k.value}' appears twice (first on line {first[0]}); only this value is used"
                    repeated.append(diag(relpath, *at, "frontmatter-schema", message, "keep one of the two lines"))
    links: list[WikiLink] = []
    if "[[" in source:
        for scalar in _walk_scalars(node, set()) if node is not None else ():
            value = scalar.value
            if not isinstance(value, str) or "[[" not in value:
                continue
            at = start + scalar.start_mark.index + (1 if scalar.style in ("'", '"') else 0)
            if text[at : at + len(value)] == value:
                links.extend(find_wikilinks(value, index, offset=at, in_frontmatter=True))
            else:  # folded or escaped scalar: point at the scalar itself
                line, col = index.position(start + scalar.start_mark.index)
                for link in find_wikilinks(value, LineIndex(value), in_frontmatter=True):
                    links.append(dataclasses.replace(link, line=line, column=col, start=-1, end=-1))
    return FrontMatter({str(k): v for k, v in data.items()}, positions, links, body_line, repeated)


def _decode(raw: bytes, relpath: str) -> tuple[str, list[Diagnostic]]:
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, e.start) + 1 : e.start].decode("utf-8", "replace")) + 1
        d = diag(
            relpath,
            line,
            col,
            "file-unreadable",
            f"not valid UTF-8 (byte 0x{raw[e.start]:02x})",
            "save the file as UTF-8",
        )
        return raw.decode("utf-8", "replace"), [d]


def load_note(
    relpath: str, raw: bytes, display_path: str | None = None, math: bool = True
) -> tuple[Note, list[Diagnostic]]:
    """Parse one note from its bytes. Pure: no I/O, safe to run in a worker process.

    `math`: the site renders `$...$` as math, so links and citations inside it are not."""
    shown = display_path or relpath
    text, diags = _decode(raw, shown)
    text = normalize_text(text)  # (`NoteFiles.text_again` reads a text back the same way)
    lines = text.split("\n")
    index = LineIndex(text, lines)
    front = parse_frontmatter(text, shown, index)
    diags.extend(front.diagnostics)
    found = scan(text, front.body_line, lines, index, math)
    body_start = index.starts[front.body_line] if front.body_line < len(index.starts) else len(text)
    note = Note(
        relpath,
        text,
        front.meta,
        body_start,
        front.positions,
        found.headings,
        found.block_ids,
        front.links + found.links,
        found.citations,
        found.urls,
        found.comments,
        front.refused,
        found.md_links,
    )
    return note, diags


@dataclass(frozen=True, slots=True)
class Parsed:
    """A note parsed from bytes with this digest, kept by a long-lived caller (`mkdocs serve`)."""

    digest: str
    shown: str
    note: Note
    diagnostics: list[Diagnostic]
    stamp: tuple[int, int, int] = (0, 0, 0)  # the file's (mtime_ns, size, inode) when it was read


def digest_bytes(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class NoteFiles:
    """The notes of one run: found once (as MkDocs finds them), each read once, parsed at most once.

    `digests`: keep the digest of every note's bytes (the check cache compares them).
    `memo`, kept by a long-lived caller such as the plugin under `mkdocs serve`, maps a note's
    path to its last parse: a note whose bytes are unchanged is not parsed again, and notes
    that are gone are dropped from it.
    """

    def __init__(
        self,
        root: str,
        prefix: str,
        found: Sources,
        math: bool = True,
        digests: bool = False,
        memo: dict[str, Parsed] | None = None,
    ) -> None:
        self.root = root
        self.prefix = prefix  # how paths are shown, e.g. 'notes/'
        self.paths = found.notes
        self.attachments = found.attachments
        self.refused = found.refused
        self.math = math  # the site renders $...$ as math
        self.memo = memo
        self.keep_digests = digests or memo is not None
        self.digests: dict[str, str] = {}  # of each note's bytes, when kept
        self.unreadable: dict[str, Diagnostic] = {}
        self.parsed: dict[str, Parsed] = {}
        self._raws: dict[str, bytes] = {}  # read ahead, not parsed yet
        self._stamps: dict[str, tuple[int, int, int]] = {}  # with a memo: each file's stamp when read
        if memo is not None:
            for gone in set(memo) - set(self.paths):
                del memo[gone]

    @staticmethod
    def find(
        settings: Settings, digests: bool = False, memo: dict[str, Parsed] | None = None, found: Sources | None = None
    ) -> NoteFiles:
        """The vault's notes; `found`: its files as the caller (the plugin, from MkDocs) has
        them sorted already, else found here by MkDocs' own walk."""
        from .sources import find_sources

        prefix = settings.shown(settings.docs_dir).rstrip("/") + "/"
        prefix = "" if prefix == "./" else prefix
        if found is None:
            found = find_sources(settings.docs_dir, settings.exclude_docs, settings.allow_files)
        return NoteFiles(settings.docs_dir, prefix, found, settings.markdown.math, digests, memo)

    def read(self, rel: str) -> bytes:
        raw = self._raws.get(rel)
        if raw is None:
            try:
                with open(os.path.join(self.root, rel), "rb") as fh:
                    if self.memo is not None:
                        st = os.fstat(fh.fileno())
                        self._stamps[rel] = (st.st_mtime_ns, st.st_size, st.st_ino)
                    raw = fh.read()
            except OSError as e:
                raw = b""
                problem = f"cannot read: {e.strerror or e}"
                self.unreadable[rel] = diag(self.prefix + rel, 1, 1, "file-unreadable", problem)
            if self.keep_digests:
                self.digests[rel] = digest_bytes(raw)
        return raw

    def read_ahead(self) -> None:
        """Read every note now (their digests are wanted before any is parsed)."""
        for rel in self.paths:
            self._raws[rel] = self.read(rel)

    def parse(self, rel: str) -> Parsed:
        hit = self.parsed.get(rel)
        if hit is not None:
            return hit
        shown = self.prefix + rel
        old = self.memo.get(rel) if self.memo is not None else None
        if old is not None and old.shown == shown and rel not in self._raws and self._same_file(rel, old):
            self.digests[rel] = old.digest  # untouched since it was read: not read again (`mkdocs serve`)
            self.parsed[rel] = old
            return old
        raw = self.read(rel)
        self._raws.pop(rel, None)  # its text lives on in the note
        if old is not None and old.digest == self.digests[rel] and old.shown == shown:
            hit = old  # the same bytes (touched, or written back): the same note
            stamp = self._stamps.get(rel)
            if self.memo is not None and stamp is not None and stamp != old.stamp:
                hit = self.memo[rel] = dataclasses.replace(old, stamp=stamp)
        else:
            note, diags = load_note(rel, raw, shown, self.math)
            hit = Parsed(self.digests.get(rel, ""), shown, note, diags, self._stamps.get(rel, (0, 0, 0)))
            if self.memo is not None:
                self.memo[rel] = hit
        self.parsed[rel] = hit
        return hit

    def _same_file(self, rel: str, old: Parsed) -> bool:
        """Whether the file still has the modification time, size and inode it had when
        `old` was read from it (MkDocs' own dirty rebuilds trust modification times too)."""
        if old.stamp == (0, 0, 0):
            return False
        try:
            st = os.stat(os.path.join(self.root, rel))
        except OSError:
            return False
        return (st.st_mtime_ns, st.st_size, st.st_ino) == old.stamp

    def text_again(self, rel: str) -> str | None:
        """A parsed note's text read again (a large check drops texts between parsing and
        checking, see `executor`), or None when its bytes are not the ones parsed: then the
        note is reported unreadable, and nothing is checked or cached for bytes never scanned."""
        shown = self.prefix + rel
        try:
            with open(os.path.join(self.root, rel), "rb") as fh:
                raw = fh.read()
        except OSError:
            raw = None
        if raw is None or digest_bytes(raw) != self.digests.get(rel):
            problem = "changed while it was being checked"
            self.unreadable[rel] = diag(shown, 1, 1, "file-unreadable", problem, "run the check again")
            return None
        return normalize_text(_decode(raw, shown)[0])

    def forget(self) -> None:
        """Drop the parsed notes: a one-off check needs none of them once it is done."""
        self.parsed.clear()

    def load(self, paths: list[str]) -> tuple[list[Note], list[Diagnostic]]:
        """These notes, parsed, and what was found while loading them."""
        notes, diags = [], []
        for rel in paths:
            hit = self.parse(rel)
            notes.append(hit.note)
            diags.extend(hit.diagnostics)
        return notes, diags

    def diagnostics(self) -> list[Diagnostic]:
        """The files refused for publishing, and the notes that could not be read."""
        out = [diag(self.prefix + r.path, 1, 1, r.rule, r.message, r.hint) for r in self.refused]
        out.extend(self.unreadable[rel] for rel in self.paths if rel in self.unreadable)
        return out

    def vault(self) -> Vault:
        """Every note parsed, as one `Vault`."""
        notes, diags = self.load(self.paths)
        return Vault(os.path.abspath(self.root), self.prefix, notes, self.attachments, self.diagnostics() + diags)

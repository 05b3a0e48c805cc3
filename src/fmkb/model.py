"""Plain data objects shared by every stage: notes, links, citations, headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Heading:
    text: str
    level: int
    line: int


@dataclass(slots=True)
class WikiLink:
    """One `[[...]]` or `![[...]]` occurrence.

    `start`/`end` are offsets into the note's text (front-matter links carry the
    offsets of their YAML scalar), so the site renderer can replace exactly the
    characters the checker saw.
    """

    raw: str
    target: str  # note or file part; "" for a same-note link like [[#Heading]]
    headings: tuple[str, ...]  # [[Note#A#B]] -> ("A", "B")
    block: str | None  # [[Note#^id]] -> "id"
    label: str | None
    embed: bool
    size: str | None  # ![[img.png|300]] or |300x200
    line: int
    column: int
    start: int
    end: int
    in_frontmatter: bool = False


@dataclass(slots=True)
class MdLink:
    """One Markdown link `[text](dest)`, image `![alt](dest)` or reference definition `[r]: dest`,
    with a destination inside the site (not `https:`, `mailto:` and the like)."""

    dest: str  # as written, without angle brackets
    image: bool
    line: int
    column: int  # of the destination's first character
    start: int = -1  # offsets of `dest` in the note's text
    end: int = -1


@dataclass(slots=True)
class CiteItem:
    key: str
    prefix: str
    suffix: str  # locator and suffix text, e.g. "p. 33"
    suppress_author: bool
    line: int
    column: int  # column of the '@'


@dataclass(slots=True)
class Citation:
    """A bracketed group `[see @a, p. 2; @b]` or an in-text `@a [p. 4]`."""

    items: tuple[CiteItem, ...]
    in_text: bool
    start: int
    end: int


@dataclass(slots=True)
class Note:
    path: str  # relative to the vault root, POSIX separators, with ".md"
    text: str
    meta: dict[str, Any]
    body_start: int  # offset of the first character after the front matter
    meta_positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (line, col)
    headings: list[Heading] = field(default_factory=list)
    block_ids: dict[str, int] = field(default_factory=dict)  # block id -> offset of its '^'

    links: list[WikiLink] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    urls: list[tuple[str, int, int]] = field(default_factory=list)  # (url, line, column)
    comments: list[tuple[int, int]] = field(default_factory=list)  # Obsidian `%%` comments: not published
    frontmatter_refused: bool = False  # its front matter did not parse, or was refused unparsed
    md_links: list[MdLink] = field(default_factory=list)

    @property
    def stem(self) -> str:
        name = self.path.rsplit("/", 1)[-1]
        return name[:-3] if name.lower().endswith(".md") else name

    @property
    def title(self) -> str:
        title = self.meta.get("title")
        if isinstance(title, str) and title.strip():
            return title.strip()
        for h in self.headings:
            if h.level == 1:
                return h.text
        return self.stem

    @property
    def kind(self) -> str:
        kind = self.meta.get("kind")
        return kind if isinstance(kind, str) else "page"

    @property
    def aliases(self) -> list[str]:
        return _str_list(self.meta.get("aliases"))

    @property
    def tags(self) -> list[str]:
        return _str_list(self.meta.get("tags"))


# a `{` on a heading line (ATX, or the text line of a setext heading): it may set the heading's id
_HEADING_ATTRS = re.compile(r"^#{1,6}[ \t][^\n]*\{|^[^\n]*\{[^\n]*\n[ ]{0,3}(?:=+|-+)[ \t]*$", re.M)


@dataclass(frozen=True, slots=True)
class Identity:
    """What other notes' link checks can see of a note: all that resolving a link reads.

    Two processes exchange identities instead of notes, and the check cache keeps one per
    note, so a note that is not parsed again can still be linked to (`stub`)."""

    title: str
    aliases: tuple[str, ...]
    headings: tuple[tuple[str, int], ...]  # (text, level)
    blocks: tuple[str, ...]  # block ids, sorted
    heading_lines: str = ""  # the heading lines as written, when one may set its own id (`{#id}`)

    @staticmethod
    def of(note: Note) -> Identity:
        lines = ""
        # an attr_list id (`## Title {#id}`) changes an anchor, not the heading's text
        if note.headings and "{" in note.text and _HEADING_ATTRS.search(note.text):
            text = note.text.split("\n")
            lines = "\n".join(text[h.line - 1] for h in note.headings if 0 < h.line <= len(text))
        return Identity(
            note.title,
            tuple(note.aliases),
            tuple((h.text, h.level) for h in note.headings),
            tuple(sorted(note.block_ids)),
            lines,
        )

    def stub(self, path: str) -> Note:
        """A note with only this identity: enough to resolve links to it."""
        return Note(
            path,
            "",
            {"title": self.title, "aliases": list(self.aliases)},
            0,
            {},
            [Heading(text, level, 0) for text, level in self.headings],
            dict.fromkeys(self.blocks, 0),
        )

    def row(self) -> list:
        """As plain JSON-ready lists (the cache's and the pipe's form)."""
        return [self.title, list(self.aliases), [list(h) for h in self.headings], list(self.blocks), self.heading_lines]

    @staticmethod
    def from_row(row: Any) -> Identity:
        """The inverse of `row`; raises ValueError on anything else (see `check_row`)."""
        Identity.check_row(row)
        return Identity.from_checked_row(row)

    @staticmethod
    def from_checked_row(row: list) -> Identity:
        """`from_row` for a row that `check_row` has passed already."""
        title, aliases, headings, blocks, lines = row
        return Identity(title, tuple(aliases), tuple((text, level) for text, level in headings), tuple(blocks), lines)

    @staticmethod
    def check_row(row: Any) -> None:
        """Raise ValueError unless `row` is an identity's `row()`."""
        if not isinstance(row, list) or len(row) != 5:
            raise ValueError("malformed identity")
        title, aliases, headings, blocks, lines = row
        if not (isinstance(title, str) and is_str_list(aliases) and is_str_list(blocks) and isinstance(headings, list)):
            raise ValueError("malformed identity")
        if not isinstance(lines, str):
            raise ValueError("malformed identity")
        for heading in headings:
            if not (isinstance(heading, list) and len(heading) == 2):
                raise ValueError("malformed heading")
            if not isinstance(heading[0], str) or type(heading[1]) is not int:
                raise ValueError("malformed heading")


def is_str_list(value: Any) -> bool:
    """A list of strings (checked at C speed: decoding a cache checks hundreds of thousands)."""
    if not isinstance(value, list):
        return False
    try:
        "".join(value)
    except TypeError:
        return False
    return True


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []

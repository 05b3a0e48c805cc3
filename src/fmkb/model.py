"""Plain data objects shared by every stage: notes, links, citations, headings."""

from __future__ import annotations

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


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []

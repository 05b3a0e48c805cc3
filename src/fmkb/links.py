"""Markdown links as the renderer made them: the site's own view of which text is a link.

Python-Markdown decides what a link is (a footnote, an unclosed bracket, a definition no
link uses, a link inside an admonition: the cases a scanner gets wrong), so the check
reads the links from the note's rendered HTML, as MkDocs does when it resolves them, and
takes only their places from the scanner's candidates (`Note.md_links`).
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from .model import MdLink, Note
from .scan import LineIndex

_EXTERNAL = ("http:", "https:", "mailto:", "ftp:", "data:", "tel:", "//")


def rendered_links(note: Note, html: str) -> list[MdLink]:
    """The links (`a href`) and images (`img src`) Markdown made in `html` that point inside the
    site, each at the place in the note it comes from."""
    if "<a" not in html and "<img" not in html:
        return []
    found: list[tuple[str, bool]] = []
    for node in LexborHTMLParser(html).css("a[href], img[src]"):
        if _made_by_fmkb(node):
            continue
        image = node.tag == "img"
        dest = node.attributes.get("src" if image else "href") or ""
        if dest and not dest.lower().startswith(_EXTERNAL) and ":" not in dest.split("/", 1)[0]:
            found.append((dest, image))
    if not found:
        return []
    candidates = list(note.md_links)
    index: LineIndex | None = None
    out = []
    searched = note.body_start
    for dest, image in found:
        hit = next((c for c in candidates if c.dest == dest or _same(c.dest, dest)), None)
        if hit is not None:
            candidates.remove(hit)
            out.append(MdLink(dest, image, hit.line, hit.column, hit.start, hit.end))
            continue
        at = _written_at(note.text, dest, searched)
        if at == -1:
            continue  # not written as Markdown: raw HTML, which MkDocs does not resolve either
        searched = at + len(dest)
        index = index or LineIndex(note.text)
        line, col = index.position(at)
        out.append(MdLink(dest, image, line, col))
    return out


def _written_at(text: str, dest: str, start: int) -> int:
    """Where `dest` is written as a Markdown destination (after `](`, `](<` or `]:`), or -1."""
    at = text.find(dest, start)
    while at != -1:
        before = text[max(0, at - 40) : at].rstrip(" \t\n<")
        if before.endswith(("](", "]:")):
            return at
        at = text.find(dest, at + 1)
    return -1


def _made_by_fmkb(node) -> bool:  # type: ignore[no-untyped-def]
    """Links fmkb writes itself (a model's facts, its citations) are not the note's Markdown."""
    while node is not None:
        classes = node.attributes.get("class") or "" if node.tag != "-undef" else ""
        if any(c.startswith("fmkb-") for c in classes.split()):
            return True
        node = node.parent
    return False


def _same(written: str, rendered: str) -> bool:
    """The destination as written and as Markdown rendered it (escapes and entities undone)."""
    from html import unescape

    return unescape(written.replace("\\", "")) == rendered

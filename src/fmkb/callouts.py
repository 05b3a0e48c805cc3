"""Obsidian callouts (`> [!tip] Title`) published as Material admonitions.

A Python-Markdown extension, so it runs wherever the notes are rendered (the
check's renderer, MkDocs, any Python-Markdown host) and no second parser reads
block quotes: Python-Markdown builds the quote, this turns a quote whose first
line is `[!type]` into `<div class="admonition type">`, or into `<details>` when
the type ends in `-` (folded) or `+` (open), as Obsidian does.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

# Obsidian's callout types and aliases, by the admonition type Material styles them as
KINDS = {
    "note": "note",
    "abstract": "abstract",
    "summary": "abstract",
    "tldr": "abstract",
    "info": "info",
    "todo": "info",
    "tip": "tip",
    "hint": "tip",
    "important": "tip",
    "success": "success",
    "check": "success",
    "done": "success",
    "question": "question",
    "help": "question",
    "faq": "question",
    "warning": "warning",
    "caution": "warning",
    "attention": "warning",
    "failure": "failure",
    "fail": "failure",
    "missing": "failure",
    "danger": "danger",
    "error": "danger",
    "bug": "bug",
    "example": "example",
    "quote": "quote",
    "cite": "quote",
}
_HEAD = re.compile(r"\[!([A-Za-z][\w-]*)\]([+-]?)[ \t]*([^\n]*)(?:\n|$)")


def admonition_type(name: str) -> str:
    """The admonition a callout type is styled as; an unknown type looks like a note, as in Obsidian."""
    return KINDS.get(name.lower(), "note")


class CalloutTreeprocessor(Treeprocessor):
    """Runs before inline parsing, so the `[!type]` marker is still plain text."""

    def run(self, root: etree.Element) -> None:
        quotes = [(parent, i) for parent in root.iter() for i, child in enumerate(parent) if child.tag == "blockquote"]
        for parent, i in reversed(quotes):  # inner callouts first: an outer one moves its children
            parts = self._split(parent[i])
            if parts is not None:
                parent[i : i + 1] = parts

    def _split(self, quote: etree.Element) -> list[etree.Element] | None:
        """The quote as callouts, one from each paragraph that starts with `[!type]`: Python-Markdown
        joins quotes separated by a blank line, which Obsidian shows as separate callouts."""
        heads = [i for i, child in enumerate(quote) if child.tag == "p" and child.text and _HEAD.match(child.text)]
        if not heads:
            return None
        children = list(quote)
        parts: list[etree.Element] = []
        if heads[0] > 0:  # a plain quote before the first callout stays a quote
            plain = etree.Element("blockquote", dict(quote.attrib))
            plain.text = quote.text
            plain.extend(children[: heads[0]])
            parts.append(plain)
        for n, at in enumerate(heads):
            end = heads[n + 1] if n + 1 < len(heads) else len(children)
            parts.append(self._callout(children[at], children[at + 1 : end]))
        parts[-1].tail = quote.tail
        return parts

    def _callout(self, first: etree.Element, rest: list[etree.Element]) -> etree.Element:
        m = _HEAD.match(first.text or "")
        assert m is not None
        name, fold, title = m.group(1), m.group(2), m.group(3).strip()
        classes = admonition_type(name)
        if name.lower() != classes:
            classes += " " + re.sub(r"[^a-z0-9-]", "", name.lower())
        if fold:
            box = etree.Element("details", {"class": classes})
            if fold == "+":
                box.set("open", "open")
            head = etree.SubElement(box, "summary")
        else:
            box = etree.Element("div", {"class": "admonition " + classes})
            head = etree.SubElement(box, "p", {"class": "admonition-title"})
        head.text = title or name.capitalize()
        body = (first.text or "")[m.end() :]
        if body.strip() or len(first):
            first.text = body
            box.append(first)
        box.extend(rest)
        return box


class CalloutExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(CalloutTreeprocessor(md), "fmkb-callouts", 25)


def makeExtension(**kwargs) -> CalloutExtension:  # noqa: N802 (Python-Markdown's entry point)
    return CalloutExtension(**kwargs)

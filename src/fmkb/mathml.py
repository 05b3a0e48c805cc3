"""TeX math published as MathML, typeset by the reader's browser.

arithmatex (in its `generic` mode) finds the math, so the site has one parser
for `$...$`; this extension turns each math element it leaves into MathML with
latex2mathml. Browsers draw MathML natively (Chromium, Firefox, Safari), so the
site needs no math JavaScript, fonts or CDN, works offline, and a screen reader
can read the formula. TeX that cannot be converted stays visible as TeX,
marked `fmkb-math-error`, and is logged as a warning (so a strict build fails).
"""

from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as etree

from latex2mathml.converter import convert_to_element
from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

from .sanitize import MATHML_ATTRIBUTES, MATHML_TAGS

log = logging.getLogger("mkdocs.plugins.fmkb.math")
# MathML is some twenty times the size of its TeX and costs about 25 us a character to
# make: a formula, and a page's formulas together, beyond these are shown as TeX
MAX_TEX = 4_000
PAGE_TEX = 20_000
_DIMENSIONS = frozenset(
    {"width", "height", "depth", "lspace", "rspace", "voffset", "minsize", "maxsize", "mathsize", "linethickness"}
)
_LENGTH = re.compile(r"-?(\d{1,3}(?:\.\d*)?|\.\d+)\s*(em|ex|px|pt|mu|%)?")
_WRAPS = (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$"))


def unwrap(text: str) -> str:
    """The TeX inside arithmatex's delimiters."""
    for left, right in _WRAPS:
        if text.startswith(left) and text.endswith(right) and len(text) >= len(left) + len(right):
            return text[len(left) : len(text) - len(right)]
    return text


def to_mathml(tex: str, block: bool) -> etree.Element | None:
    """MathML for `tex`, or None when latex2mathml cannot read it.

    Only presentation markup is kept: TeX's `\\href`, `\\style` and `\\class` would
    set attributes from the note's text, so every attribute outside the site's
    MathML allow-list is dropped here, and the page shows what the check saw."""
    if len(tex) > MAX_TEX:
        return None
    try:
        math = convert_to_element(tex.strip(), display="block" if block else "inline")
    except Exception:  # latex2mathml raises many types (and RecursionError on deep nesting)
        return None
    for el in math.iter():
        if el.tag not in MATHML_TAGS:
            el.tag = "mrow"
        for name in [n for n in el.attrib if n not in MATHML_ATTRIBUTES and n != "xmlns"]:
            del el.attrib[name]
        for name in _DIMENSIONS.intersection(el.attrib):  # `\rule{1e5em}{1e5em}` must not cover the page
            m = _LENGTH.fullmatch(el.attrib[name].strip())
            if m is None or float(m.group(1)) > (100 if m.group(2) in ("px", "pt", "%") else 10):
                del el.attrib[name]
    return math


class MathMLTreeprocessor(Treeprocessor):
    """Runs after inline parsing, when arithmatex's elements are in the tree."""

    def run(self, root: etree.Element) -> None:
        budget = PAGE_TEX
        for el in root.iter():
            classes = (el.get("class") or "").split()
            if "arithmatex" not in classes or len(el) or not el.text:
                continue
            block = el.tag == "div"
            raw = unwrap(el.text.strip())
            tex = html.unescape(raw) if block else raw  # arithmatex escapes block math itself
            budget -= len(tex)
            math = to_mathml(tex, block) if budget >= 0 else None
            if math is None:
                why = "could not be typeset" if budget >= 0 else "is past the page's share of math"
                el.set("class", " ".join([*classes, "fmkb-math-error"]))
                el.set("title", f"This formula {why}: it is shown as TeX")
                log.warning("fmkb: a formula %s and is shown as TeX: %s", why, tex[:80])
                continue
            math.set("alttext", tex.strip()[:2000])
            el.text = None
            el.append(math)


class MathMLExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(MathMLTreeprocessor(md), "fmkb-mathml", 15)


def makeExtension(**kwargs) -> MathMLExtension:  # noqa: N802 (Python-Markdown's entry point)
    return MathMLExtension(**kwargs)

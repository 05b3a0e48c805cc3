"""What a published page may contain: one HTML policy, applied by a sanitizer and reported by the check.

Notes come from strangers and end up on a public page. Every page the plugin
renders passes through nh3 (Ammonia's binding, an allow-list sanitizer on an
HTML5 parser) after rendering, so the site never relies on the check having seen
everything. The check renders a note the same way and reports, with `unsafe_parts`,
exactly what the sanitizer would take out, parsed the way a browser parses it
(Lexbor, an HTML5 parser), so an author learns what was dropped and why.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import nh3
from selectolax.lexbor import LexborHTMLParser

# Tags that Markdown itself and fmkb's own blocks produce, and those each extension adds
# (tables, footnotes, task lists, emoji SVGs, code highlighting, math containers...); raw
# HTML in a note is held to `allow_html` on top of these, which a site may narrow or widen.
GENERATED_TAGS = frozenset(
    "p h1 h2 h3 h4 h5 h6 a img em strong code pre blockquote ul ol li hr br div span table thead tbody tr th td "
    "figure figcaption".split()
) | frozenset("svg g circle line text title rect path".split())  # the Models timeline: shapes and text, no links
# MathML as fmkb.mathml writes it (latex2mathml's elements), with presentation attributes only
MATHML_TAGS = frozenset(
    "math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mover munder munderover "
    "mtable mtr mtd mlabeledtr mstyle mpadded mphantom menclose merror mmultiscripts mprescripts none "
    "semantics annotation".split()
)
MATHML_ATTRIBUTES = frozenset(
    "display alttext mathvariant mathsize stretchy fence separator separators accent accentunder lspace rspace "
    "minsize maxsize movablelimits symmetric largeop form columnalign columnspacing columnlines rowspacing "
    "rowalign rowlines frame framespacing equalrows equalcolumns displaystyle scriptlevel width height depth "
    "voffset linethickness notation encoding open close".split()
)
EXTENSION_TAGS: dict[str, frozenset[str]] = {
    "footnotes": frozenset({"sup"}),
    "def_list": frozenset({"dl", "dt", "dd"}),
    "abbr": frozenset({"abbr"}),
    "pymdownx.emoji": frozenset({"svg", "path"}),
    "pymdownx.tasklist": frozenset({"input", "label"}),
    "pymdownx.mark": frozenset({"mark"}),
    "pymdownx.details": frozenset({"details", "summary"}),
    "pymdownx.caret": frozenset({"ins", "sup"}),
    "pymdownx.tilde": frozenset({"del", "sub"}),
    "pymdownx.keys": frozenset({"kbd"}),
    "fmkb.callouts": frozenset({"details", "summary"}),
    "fmkb.mathml": MATHML_TAGS,
}
GLOBAL_ATTRIBUTES = frozenset({"id", "class", "title", "lang", "dir", "role", "aria-hidden", "aria-label"})
TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "name"}),
    "img": frozenset({"src", "alt", "width", "height", "loading"}),
    "td": frozenset({"colspan", "rowspan", "align", "style"}),
    "th": frozenset({"colspan", "rowspan", "align", "style", "scope", "aria-sort"}),
    "ol": frozenset({"start", "reversed", "data-search-exclude"}),
    "li": frozenset({"value"}),
    "input": frozenset({"checked", "disabled"}),
    "svg": frozenset({"xmlns", "viewBox", "width", "height", "fill"}),
    "path": frozenset({"d", "fill", "fill-rule", "clip-rule"}),
    "g": frozenset({"fill", "stroke", "transform"}),
    "circle": frozenset({"cx", "cy", "r"}),
    "line": frozenset({"x1", "y1", "x2", "y2"}),
    "text": frozenset({"x", "y", "text-anchor", "transform", "font-size"}),
    "rect": frozenset({"x", "y", "width", "height", "fill"}),
    "time": frozenset({"datetime"}),
    "q": frozenset({"cite"}),
    "blockquote": frozenset({"cite"}),
    "del": frozenset({"cite", "datetime"}),
    "ins": frozenset({"cite", "datetime"}),
    "details": frozenset({"open"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ul": frozenset({"data-search-exclude"}),
    "table": frozenset({"data-search-exclude"}),
    **{tag: MATHML_ATTRIBUTES | {"xmlns"} for tag in MATHML_TAGS},
}
# Attributes held to a fixed set of values (a task-list checkbox, and nothing else of a form).
TAG_ATTRIBUTE_VALUES = {"input": {"type": {"checkbox"}}}
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
STYLE_PROPERTIES = frozenset({"text-align"})
DROP_WITH_CONTENT = frozenset({"script", "style"})
_DOCUMENT = {"html", "head", "body"}  # the parser's own wrappers: only their attributes can come from a note


@dataclass(frozen=True, slots=True)
class Policy:
    """What may appear in a published page's content."""

    tags: frozenset[str]

    @staticmethod
    def allowing(allow_html: frozenset[str], extensions: tuple[str, ...] = ()) -> Policy:
        """Markdown's and these extensions' own tags, plus the raw tags a site allows."""
        generated = GENERATED_TAGS.union(*(EXTENSION_TAGS.get(name, ()) for name in extensions))
        return _policy(frozenset(t.lower() for t in allow_html) | generated)

    def clean(self, html: str) -> str:
        """The HTML as published: everything outside the policy removed."""
        return _cleaner(self.tags).clean(html)


@functools.cache
def _policy(tags: frozenset[str]) -> Policy:
    return Policy(tags - DROP_WITH_CONTENT)


@functools.cache
def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    attributes = {tag: set(attrs) for tag, attrs in TAG_ATTRIBUTES.items() if tag in tags}
    attributes["*"] = set(GLOBAL_ATTRIBUTES)
    return nh3.Cleaner(
        tags=set(tags),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes=attributes,
        tag_attribute_values={t: {a: set(v) for a, v in av.items()} for t, av in TAG_ATTRIBUTE_VALUES.items()},
        url_schemes=set(URL_SCHEMES),
        filter_style_properties=set(STYLE_PROPERTIES),
        link_rel=None,
        strip_comments=True,
    )


@dataclass(frozen=True, slots=True)
class UnsafePart:
    """One thing the sanitizer removes from a rendered page, and what to search for in the source."""

    problem: str
    needles: tuple[str, ...]  # text to look for in the note, most precise first, to point at the place


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    """The scheme of a URL as a browser reads it (surrounding controls and spaces, tabs and
    newlines inside removed), lower-cased; None for a relative URL."""
    plain = re.sub(
        r"[\t\n\r]",
        "",
        value.strip(
            "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
            "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"
            "\x1e\x1f "
        ),
    )
    m = _SCHEME.match(plain)
    return m.group(1).lower() if m else None


def _style_ok(value: str) -> bool:
    for decl in value.split(";"):
        name, sep, _ = decl.partition(":")
        if decl.strip() and (not sep or name.strip().lower() not in STYLE_PROPERTIES):
            return False
    return "url(" not in value.lower() and "expression" not in value.lower()


def unsafe_parts(html: str, policy: Policy) -> list[UnsafePart]:
    """Everything in `html` that `policy.clean` would remove, as a browser would parse it."""
    out: list[UnsafePart] = []
    tree = LexborHTMLParser(html)
    root = tree.root
    if root is None:
        return out
    for node in root.traverse():
        tag = (node.tag or "").lower()
        if tag.startswith(("-", "_", "#")):  # text, comments
            continue
        attrs = node.attributes
        if tag in _DOCUMENT:
            for name in attrs:
                out.append(UnsafePart(f"<{tag}> with attribute {name}= changes the whole page", (f"<{tag}",)))
            continue
        if tag not in policy.tags:
            out.append(UnsafePart(f"raw HTML <{tag}> is not allowed", (f"<{tag}",)))
            continue
        allowed = GLOBAL_ATTRIBUTES | TAG_ATTRIBUTES.get(tag, frozenset())
        for name, value in attrs.items():
            value = value or ""
            low = name.lower()
            if low.startswith("on"):
                out.append(UnsafePart(f"an on* event-handler attribute ({name}=) runs script", (name, f"<{tag}")))
            elif low in TAG_ATTRIBUTE_VALUES.get(tag, {}):
                if value.lower() not in TAG_ATTRIBUTE_VALUES[tag][low]:
                    out.append(UnsafePart(f"<{tag} {name}={value!r}> is not allowed", (name, f"<{tag}")))
            elif name not in allowed and low not in allowed:
                out.append(UnsafePart(f"attribute {name}= on <{tag}> is not allowed", (name, f"<{tag}")))
            elif low in URL_ATTRIBUTES:
                scheme = url_scheme(value)
                if scheme is not None and scheme not in URL_SCHEMES:
                    problem = f"a {scheme}: URL in {name}= can run script or load foreign content"
                    out.append(UnsafePart(problem, (scheme, f"<{tag}")))
            elif low == "style" and not _style_ok(value):
                out.append(UnsafePart(f"style {value!r} is not allowed (only text-align)", ("style", f"<{tag}")))
    return out


_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]")


def markup_in_text(value: str) -> bool:
    """A front-matter string (title, alias, tag, description) that holds HTML markup."""
    return bool(_MARKUP.search(value))

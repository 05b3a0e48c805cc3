"""The Markdown scanner: one pass over a note's text finds its headings, block
ids, wiki-links and citations, ignoring code, math and comments.

Everything here is a pure function of a string, so it is safe to run in worker
processes and to fuzz. Offsets are kept in file coordinates: regions that must
not yield links (code, math, comments, front matter) are blanked with spaces in a
copy of the text, which keeps every offset, line and column unchanged.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from pymdownx.arithmatex import RE_SMART_DOLLAR_INLINE

from .model import Citation, CiteItem, Heading, MdLink, WikiLink

_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
_ATX_OPEN = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
# attr_list's own pattern for a heading's trailing `{#id .class}` (not part of its text)
_HEADING_ATTRS = re.compile(r"[ ]+\{\:?[ ]*([^\}\n ][^\n]*)\}[ ]*$")


def atx_heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line, or None. Without a regex over the text, whose
    optional closing `###` made a line with 60,000 trailing spaces take 50 s."""
    m = _ATX_OPEN.match(line)
    if m is None:
        return None
    text = line[m.end() :].strip(" \t")
    closed = text.rstrip("#")
    if closed != text and (not closed or closed[-1] in " \t"):
        text = closed.rstrip(" \t")
    if text.endswith("}"):
        text = _HEADING_ATTRS.sub("", text)
    return len(m.group(1)), text


_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_BLOCK_ID = re.compile(r"(?:^|\s)\^([A-Za-z0-9-]+)[ \t]*$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")

_MAX_INLINE_SPAN = 65536  # no code span runs longer than this

# Patterns start with a literal so that `re` can skip ahead fast (an optional `!?` or a
# look-behind in front makes it try every position: 30x slower on a typical note).
_WIKI = re.compile(r"\[\[([^\[\]\n]*)\]\]")
# A URL, or a link destination `](...)`: no citation lives inside one. The destination
# part stops at the next `](`, so a run of `](` without `)` is read once, not once per `](`.
_URL = re.compile(r"<?https?://[^\s<>\[\]]+>?|\]\((?:[^)\n\]]|\](?!\())*\)")

# pandoc's citation key grammar: a word character, then word characters or
# single internal punctuation; or any brace-balanced text inside @{...}.
_KEY = r"\{[^{}\n]*\}|\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*"
_BRACKET = re.compile(r"\[([^\[\]]*)\]")  # '@' is tested in Python: `[^\]]*@[^\]]*` backtracks quadratically
_ITEM = re.compile(r"(?P<prefix>(?:.*?[\s])?)(?P<suppress>-?)@(?P<key>" + _KEY + r")(?P<suffix>.*)", re.S)
_IN_TEXT = re.compile(r"@(?P<key>" + _KEY + r")(?:[ \t]?\[(?P<loc>[^\[\]@\n]*)\](?![(\[]))?")
_NOT_BEFORE_AT = re.compile(r"[\w\\@\-]")
_KEY_LIKE = re.compile(r"[A-Za-z][A-Za-z_:'\-]*(?:19|20)\d\d")


@dataclass(slots=True)
class Scan:
    headings: list[Heading]
    block_ids: dict[str, int]  # id -> offset of its '^'
    links: list[WikiLink]
    citations: list[Citation]
    urls: list[tuple[str, int, int]]  # (url, line, column) of external http(s) links
    comments: list[tuple[int, int]]  # (start, end) of each Obsidian `%%` comment: not published
    md_links: list[MdLink] = field(default_factory=list)  # Markdown links and images inside the site


_EXTERNAL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]+")


def find_urls(masked: str, index: LineIndex) -> list[tuple[str, int, int]]:
    """External http(s) URLs outside code and comments, trailing punctuation trimmed."""
    if "://" not in masked:
        return []
    out = []
    for m in _EXTERNAL.finditer(masked):
        url = m.group()
        excess = url.count(")") - url.count("(")  # closing parens without an opening one
        end = len(url)
        while end:  # trim trailing punctuation and unbalanced ')' by index, never re-counting
            c = url[end - 1]
            if c in ".,;:!?*_~" or (c == ")" and excess > 0):
                excess -= c == ")"
                end -= 1
                continue
            break
        url = url[:end]
        if len(url) > len("https://"):
            line, col = index.position(m.start())
            out.append((url, line, col))
    return out


class LineIndex:
    """Maps offsets to 1-based (line, column) with a bisect over line starts."""

    __slots__ = ("starts",)

    def __init__(self, text: str, lines: list[str] | None = None) -> None:
        if lines is None:
            lines = text.split("\n")
        # every line's start: the running sum of (length + 1), computed without a Python-level loop
        self.starts = list(itertools.accumulate(map((1).__add__, map(len, lines[:-1])), initial=0))

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


def looks_like_key(key: str) -> bool:
    """The in-text rule: `@word` is a citation only if `word` is a bib key or looks like one.

    "Looks like one" means the house scheme `name` + year (`kaplan2020scaling`), so
    handles such as `@Name` in link text or prose are left alone.
    """
    return _KEY_LIKE.match(key) is not None


def _blank(s: str) -> str:
    return " " * len(s) if "\n" not in s else re.sub(r"[^\n]", " ", s)


def blank_spans(s: str, spans: list[tuple[int, int]]) -> str:
    """`s` with each (start, end) span, in order and not overlapping, turned into spaces (line
    breaks kept): every offset, line and column stays where it was."""
    if not spans:
        return s
    parts, last = [], 0
    for a, b in spans:
        parts.append(s[last:a])
        parts.append(_blank(s[a:b]))
        last = b
    parts.append(s[last:])
    return "".join(parts)


_SPECIAL_START = frozenset(" \t#`~-=*+>|_0123456789")


_BARE_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$", re.M)


class _Closers:
    """Where bare fence lines (closing candidates) are, so that an opening fence with no
    closing one is known at once: it is then plain text, as the fenced-code extensions
    render it. Found with one regex pass over the text, not a loop over its lines."""

    __slots__ = ("lines",)

    def __init__(self, text: str, starts: list[int]) -> None:
        found: dict[str, list[tuple[int, int]]] = {}
        for run in ("```", "~~~"):
            at = text.find(run)
            while at != -1:  # each fence line once: a literal search, then the line checked
                line = bisect.bisect_right(starts, at) - 1
                m = _BARE_FENCE.match(text, starts[line])
                if m:
                    found.setdefault(run[0], []).append((line, len(m.group(1))))
                end = text.find("\n", at)
                at = -1 if end == -1 else text.find(run, end)
        self.lines: dict[tuple[str, int], list[int]] = {}  # (character, length) -> lines of such fences
        for ch, rows in found.items():
            for line, length in sorted(rows):
                self.lines.setdefault((ch, length), []).append(line)

    def closes(self, ch: str, length: int, after_line: int) -> bool:
        """Whether a bare fence of `ch` and exactly `length` stands after `after_line` (the
        fenced-code extensions close a fence only with the same fence)."""
        lines = self.lines.get((ch, length))
        return lines is not None and bisect.bisect_right(lines, after_line) < len(lines)


def _mask_blocks(
    lines: list[str], body_line: int, starts: list[int], closers: _Closers | None
) -> tuple[str, list[Heading], dict[str, int]]:
    """Blank front matter, fenced and indented code; collect headings and block ids."""
    out = lines[:]
    headings: list[Heading] = []
    block_ids: dict[str, int] = {}
    fence: tuple[str, int] | None = None
    prev_blank = True
    prev_code = False
    prev_para: int | None = None  # index of a paragraph line that a setext underline may promote
    in_list = False
    for i, line in enumerate(lines):
        if i < body_line:
            out[i] = " " * len(line)
            continue
        if fence is not None:
            out[i] = " " * len(line)
            close = _BARE_FENCE.match(line)  # the closing lines `_Closers` counted
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) == fence[1]:
                fence = None
            prev_blank, prev_code, prev_para = False, False, None
            continue
        if not line:
            prev_blank, prev_para = True, None
            continue
        if line[0] not in _SPECIAL_START:  # plain paragraph text: the common case, kept cheap
            prev_code = False
            if prev_blank:
                in_list = False
            if line[0] in "!?[" and (_CONTAINER.match(line) or line.startswith("[^")):
                in_list = True  # an admonition or footnote: its indented blocks are its content
            if "^" in line:
                b = _BLOCK_ID.search(line)
                if b:
                    block_ids.setdefault(b.group(1), starts[i] + b.start(1) - 1)
            prev_para, prev_blank = i, False
            continue
        if not line.strip():
            prev_blank, prev_para = True, None
            continue
        m = _FENCE_OPEN.match(line)
        if (
            m
            and not (m.group(1)[0] == "`" and "`" in m.group(2))
            and closers is not None
            and closers.closes(m.group(1)[0], len(m.group(1)), i)
        ):
            fence = (m.group(1)[0], len(m.group(1)))
            out[i] = " " * len(line)
            prev_blank, prev_code, prev_para = False, False, None
            continue
        indented = line.startswith(("    ", "\t"))
        if indented and (prev_code or (prev_blank and not in_list)):
            out[i] = " " * len(line)
            prev_blank, prev_code, prev_para = False, True, None
            continue
        prev_code = False
        if _LIST_ITEM.match(line) or _CONTAINER.match(line) or line.startswith("[^"):
            in_list = True  # a list item, admonition or footnote: its indented blocks are its content
        elif prev_blank and not indented:
            in_list = False
        atx = atx_heading(line)
        if atx:  # a heading at the line's start ends its block: indented code may follow it
            headings.append(Heading(atx[1], atx[0], i + 1))
            prev_blank, prev_para = line.startswith("#"), None
            continue
        m = _SETEXT.match(line)
        if m and prev_para is not None and not (m.group(1)[0] == "-" and in_list):
            headings.append(Heading(lines[prev_para].strip(), 1 if m.group(1)[0] == "=" else 2, prev_para + 1))
            prev_blank, prev_para = True, None
            continue
        if prev_blank and _RULE.match(line):  # a horizontal rule, too, ends its block
            prev_para = None
            continue
        b = _BLOCK_ID.search(line)
        if b:
            block_ids.setdefault(b.group(1), starts[i] + b.start(1) - 1)
        prev_para = i if not _LIST_ITEM.match(line) and not line.lstrip().startswith((">", "|")) else None
        prev_blank = False
    return "\n".join(out), headings, block_ids


def _escaped(s: str, i: int) -> bool:
    j = i
    while j > 0 and s[j - 1] == "\\":
        j -= 1
    return (i - j) % 2 == 1


def _merge(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of two lists of spans, as sorted spans that do not overlap."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(a + b):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


_QUOTE_MARK = re.compile(r"[ ]{0,3}>[ ]?")
_LIST_MARK = re.compile(r"[ \t]*(?:[-*+]|\d+\.)[ \t]+\S")
_RULE_LINE = re.compile(r"[ ]{0,3}([-*_])(?:[ ]*\1){2,}[ ]*$")
_SETEXT_LINE = re.compile(r"[ ]{0,3}(?:=+|-+)[ ]*$")
_CONTAINER = re.compile(r"[ ]{0,3}(?:!!!|\?\?\?\+?)[ ]")  # an admonition or a collapsible block
_DEFINITION_LINE = re.compile(r"[ ]{0,3}\[[^\]\n]+\]:")  # a reference or footnote definition
# a table's delimiter row, each part unambiguous (no two adjacent runs of the same spaces)
_TABLE_RULE_LINE = re.compile(r"[ \t]*(?:\|[ \t]*)?:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+(?:\|[ \t]*)?$")


class _Breaks:
    """Where Python-Markdown's inline patterns cannot reach across: the ends of the blocks its
    block parser makes. A blank line (or a quote's `>` alone) ends one; so do, in the middle of
    a paragraph, a heading (`#` at the line's start), a horizontal rule, the start of a quote,
    an admonition, a reference or footnote definition, a table's rows, and, in a list, the
    next item. One pass over the lines, plain string tests and anchored regexes (linear)."""

    def __init__(self, s: str) -> None:
        self.s = s
        found: list[int] = []
        block_line = 0  # the index of the current block's first line
        list_block = quoted = False
        table_until = -1
        offset = 0
        for i, line in enumerate(s.split("\n")):
            at = offset
            offset += len(line) + 1
            pos = depth = 0
            while True:  # a quote's markers, as Python-Markdown strips them
                m = _QUOTE_MARK.match(line, pos)
                if m is None:
                    break
                pos, depth = m.end(), depth + 1
            inner = line[pos:] if pos else line
            if not inner.strip():  # a blank line, or a quote's blank line
                found.append(at)
                block_line, list_block, quoted = i + 1, False, depth > 0
                continue
            if at < table_until:
                found.append(at)  # a table row: each is parsed on its own
                continue
            starts = i == block_line
            if depth and not quoted:  # a quote starts here
                found.append(at)
                block_line, starts = i, True
            quoted = depth > 0
            if starts:
                list_block = bool(_LIST_MARK.match(inner))
            if inner.startswith("#") or _RULE_LINE.match(inner) or _DEFINITION_LINE.match(inner):
                found += [at, offset]
                block_line = i + 1
            elif i == block_line + 1 and _SETEXT_LINE.match(inner):
                found.append(offset)  # the block's first line and this one are a heading
                block_line = i + 1
            elif _CONTAINER.match(inner) or (list_block and not starts and _LIST_MARK.match(inner)):
                found.append(at)
            elif inner.startswith("[!") and depth and _CALLOUT_HEAD.match(inner):
                found.append(offset)  # a callout's title line is its own block
            elif i == block_line + 1 and "|" in line and _TABLE_RULE_LINE.match(inner):
                gap = _BLANK_LINE.search(s, at)  # the table: its header, this rule, its rows
                table_until = gap.start() if gap else len(s)
                found += [self._line_start(s, at), at, offset]
        self.at = sorted({min(x, len(s)) for x in found})  # a last line's end is the text's end

    @staticmethod
    def _line_start(s: str, at: int) -> int:
        return s.rfind("\n", 0, max(0, at - 1)) + 1

    def after(self, pos: int) -> int:
        """The first break past `pos` (the text's end when there is none)."""
        k = bisect.bisect_right(self.at, pos)
        return self.at[k] if k < len(self.at) else len(self.s)


_CALLOUT_HEAD = re.compile(r"\[![A-Za-z][\w-]*\]")


def _mask_inline(s: str, math: bool = True, comments: list[tuple[int, int]] | None = None) -> str:
    """Blank inline code, math (when the site renders math) and comments (HTML, and
    Obsidian's `%%`, whose spans go to `comments`: the site leaves them out as Obsidian does).

    In the order the renderer reads them: Obsidian comments are cut out before
    rendering and Python-Markdown takes HTML comments that start a line first; then
    its inline patterns run by priority over a whole paragraph: code spans first,
    then arithmatex's math, and inline HTML last.
    """
    if comments is None:
        comments = []
    if not ("`" in s or "%%" in s or "<!--" in s or (math and "$" in s)):
        return s
    breaks = _Breaks(s)
    spans = _spans(s, ("`", "%%", "<!--"), comments, breaks, block_html=True)
    if math and "$" in s:
        spans = _merge(spans, _math_spans(s, spans, comments, breaks))
    if "<!--" in s:
        spans = _merge(spans, _spans(blank_spans(s, spans), ("<!--",), comments, breaks, block_html=False))
    return blank_spans(s, spans)


# arithmatex's own inline pattern (smart dollars: no space inside either `$`), so that the
# check and the site agree on what is math; its escape branch consumes `\\` pairs before a `$`
_MATH_INLINE = re.compile(RE_SMART_DOLLAR_INLINE, re.DOTALL | re.UNICODE)  # as Python-Markdown compiles it
# its math branch without the look-behind (tests check it against arithmatex's pattern)
_MATH_AFTER_ESCAPES = re.compile(r"(\$)(?!\s)((?:\\.|[^\\$\x02\x03])+?)(?<!\s)(?:\$)", re.DOTALL | re.UNICODE)
# arithmatex's display math: a whole block (paragraph) that is `$$...$$`, in a quote or list item too
_MATH_BLOCK = re.compile(r"\$\$(?:\\.|[^\\])+?\$\$[ ]*", re.S)
# what Python-Markdown strips before a block is tested: blank lines, quote markers, a list marker
_BLOCK_LEAD = re.compile(r"(?:[ \t]*\n)*(?:[ ]{0,3}>[ ]?)*(?:[ ]{0,3}(?:[*+-]|\d+\.)[ ]+)?")
_FIRST_BLOCK_LEAD = re.compile(r"\n*(?:[ ]{0,3}>[ ]?)*(?:[ ]{0,3}(?:[*+-]|\d+\.)[ ]+)?")
_PAIRS_BEFORE_BACKTICK = re.compile(r"(?<!\\)(?:\\\\)+(?=`)")


def _inline_math(t: str, start: int, end: int) -> list[tuple[int, int]]:
    """arithmatex's inline matches in t[start:end], searched as Python-Markdown does: a match
    is replaced by a placeholder, so a `$` right after an escaped `\\\\` pair may open math."""
    spans: list[tuple[int, int]] = []
    pos = start
    while True:
        m = _MATH_INLINE.search(t, pos, end)
        if m is None:
            return spans
        if m.group(2):
            spans.append(m.span())
            pos = m.end()
            continue
        pos = m.end()  # backslash pairs: the `$` after them is not escaped
        after = _MATH_AFTER_ESCAPES.match(t, pos, end)
        if after:
            spans.append(after.span())
            pos = after.end()


def _math_spans(
    s: str, code: list[tuple[int, int]], removed: list[tuple[int, int]], breaks: _Breaks
) -> list[tuple[int, int]]:
    """Where arithmatex finds math in `s`, block by block; a code span (already replaced
    by a placeholder when arithmatex runs) can neither hold math nor be inside it, while an
    Obsidian comment (`removed`: cut out before rendering) may sit inside a formula."""
    t = s
    if "\\`" in s:  # the code pattern also turns `\\\\` pairs before a backtick into a placeholder
        code = _merge(code, [m.span() for m in _PAIRS_BEFORE_BACKTICK.finditer(s)])
    if code:
        cut = set(removed)
        parts, last = [], 0
        for a, b in code:
            parts += [s[last:a], ("\x01" if (a, b) in cut else "\x02") * (b - a)]
            last = b
        t = "".join(parts) + s[last:]
    spans: list[tuple[int, int]] = []
    pos, n = 0, len(t)
    while pos < n:
        end = breaks.after(pos)
        if "$" in t[pos:end]:
            # Python-Markdown empties whitespace-only lines, except at the very start
            lead = (_BLOCK_LEAD if pos else _FIRST_BLOCK_LEAD).match(t, pos, end)
            first = lead.end() if lead else pos
            last = end
            while last > first and t[last - 1] in " \t\n":
                last -= 1
            if t.startswith("$$", first) and _MATH_BLOCK.fullmatch(t, first, last):
                spans.append((first, last))
            else:
                spans += _inline_math(t, pos, end)
        pos = end
    return spans


class _BacktickRuns:
    """The maximal backtick runs of one paragraph, by length, to find code spans as
    Python-Markdown does: its pattern may open a span inside a longer run (at the run's
    second backtick, third...) and closes it at the next run of exactly the same length."""

    def __init__(self, s: str, start: int, end: int) -> None:
        self.by_length: dict[int, list[int]] = {}
        for m in _BACKTICKS.finditer(s, start, end):
            self.by_length.setdefault(m.end() - m.start(), []).append(m.start())

    def code_span(self, start: int, run: int, limit: int) -> tuple[int, int] | None:
        """The code span that opens within the run `start`..`run` (leftmost first), or None."""
        for opening in range(start, run):
            length = run - opening
            starts = self.by_length.get(length)
            if starts:
                i = bisect.bisect_left(starts, run)
                if i < len(starts) and starts[i] + length <= limit:
                    return opening, starts[i] + length
        return None


_BACKTICKS = re.compile(r"`+")


def _at_line_start(s: str, i: int) -> bool:
    """Whether Python-Markdown reads raw HTML at `i` as a block (up to three spaces before it)."""
    newline = s.rfind("\n", max(0, i - 4), i)  # only the last four characters matter: linear
    if newline == -1 and i > 3:
        return False
    return not s[newline + 1 : i].strip()


def _spans(
    s: str, openers: tuple[str, ...], comments: list[tuple[int, int]], breaks: _Breaks, block_html: bool
) -> list[tuple[int, int]]:
    """Code spans and comments, nearest first; candidates are found with `str.find` per
    opener (several times faster than a regex alternation over every position).
    `block_html`: take only the HTML comments that start a line (else only the others)."""
    nxt = {tok: s.find(tok) for tok in openers}
    spans: list[tuple[int, int]] = []
    pos, n = 0, len(s)
    par_end = gap_at = -1
    closes: dict[str, int] = {}  # the last closer found per opener (n: none after it)
    while True:
        for tok, at in nxt.items():
            if at != -1 and at < pos:
                nxt[tok] = s.find(tok, pos)
        live = [(at, tok) for tok, at in nxt.items() if at != -1]
        if not live:
            break
        start, tok = min(live)
        if _escaped(s, start):
            pos = start + 1
            continue
        if tok == "<!--" and _at_line_start(s, start) != block_html:
            pos = start + 4
            continue
        if tok == "<!--" or tok == "%%":
            if tok == "<!--" and s.startswith(("<!-->", "<!--->"), start):  # HTML5: an empty comment
                end = start + (5 if s.startswith("<!-->", start) else 6)
            else:
                close = "-->" if tok == "<!--" else "%%"
                end = closes.get(tok, -1)
                if end != n and end < start + len(tok):  # each search resumes past the last one: linear
                    end = s.find(close, start + len(tok))
                    closes[tok] = n if end == -1 else end
                end = -1 if end == n else end
                if end == -1:  # Obsidian shows an unclosed %% as text, Python-Markdown an unclosed <!--
                    pos = start + len(tok)
                    continue
                if tok == "<!--" and not block_html:  # an inline comment ends in its paragraph
                    if gap_at <= start:
                        gap_at = breaks.after(start)
                    if gap_at < end or s.find("<!--", start + 4, end) != -1:  # nor holds another <!--
                        pos = start + 4
                        continue
                end += len(close)
            spans.append((start, end))
            if tok == "%%":
                comments.append((start, end))
            pos = end
            continue
        if start >= par_end:
            par_end = breaks.after(start)
            runs = _BacktickRuns(s, start, par_end)
        run = start
        while run < n and s[run] == "`":
            run += 1
        found = runs.code_span(start, run, min(par_end, start + _MAX_INLINE_SPAN))
        if found:
            spans.append(found)
            pos = found[1]
        else:
            pos = run
    return spans


def parse_wikilink(raw_inner: str) -> tuple[str, tuple[str, ...], str | None, str | None]:
    """Split the inside of `[[...]]` into target, heading path, block id and label.

    `\\|` (the table-safe separator) counts as `|`.
    """
    inner = raw_inner.replace("\\|", "|")
    target_part, sep, label = inner.partition("|")
    label_out = label.strip() if sep else None
    target, *subs = target_part.split("#")
    block = None
    headings = tuple(h.strip() for h in subs)
    if headings and headings[-1].startswith("^"):
        block = headings[-1][1:].strip()
        headings = headings[:-1]
    headings = tuple(h for h in headings if h)
    return target.strip(), headings, block, label_out


_SIZE = re.compile(r"\d+(?:x\d+)?")


def find_wikilinks(masked: str, index: LineIndex, offset: int = 0, in_frontmatter: bool = False) -> list[WikiLink]:
    links: list[WikiLink] = []
    if "[[" not in masked:
        return links
    for m in _WIKI.finditer(masked):
        inner = m.group(1)
        if not inner.strip():
            continue
        target, headings, block, label = parse_wikilink(inner)
        start = m.start()
        embed = start > 0 and masked[start - 1] == "!"
        if embed:
            start -= 1
        size = None
        if embed and label is not None and _SIZE.fullmatch(label):
            size, label = label, None
        line, col = index.position(start + offset)
        raw = masked[start : m.end()]
        links.append(
            WikiLink(
                raw,
                target,
                headings,
                block,
                label,
                embed,
                size,
                line,
                col,
                start + offset,
                m.end() + offset,
                in_frontmatter,
            )
        )
    return links


def _strip_key(key: str) -> str:
    return key[1:-1].strip() if key.startswith("{") else key


def _at_in_url(s: str) -> bool:
    """Whether some '@' stands inside a URL or a link destination `](...)`, so that URLs must
    be blanked before citations are looked for. One pass over the '@'s; every search covers
    only the text since the previous '@', so a run of `http://` or `](` is read once."""
    last_dest = last_close = -1
    token = prev = 0
    at = s.find("@")
    while at != -1:
        dest = s.rfind("](", max(prev - 1, 0), at)
        last_dest = dest if dest != -1 else last_dest
        close = max(s.rfind(")", prev, at), s.rfind("\n", prev, at))
        last_close = close if close != -1 else last_close
        if last_dest != -1 and last_close < last_dest:
            return True  # inside a destination
        space = max(s.rfind(" ", prev, at), s.rfind("\n", prev, at), s.rfind("\t", prev, at))
        seg = space + 1 if space != -1 else max(token, prev - 2)
        token = space + 1 if space != -1 else token
        if "://" in s[seg:at]:
            return True  # inside a URL
        prev = at
        at = s.find("@", at + 1)
    return False


def find_citations(masked: str, text: str, index: LineIndex) -> list[Citation]:
    """Bracketed and in-text pandoc citations; `masked` has code and links blanked."""
    if "@" not in masked:
        return []
    s = masked
    if ("://" in s or "](" in s) and _at_in_url(s):
        s = _URL.sub(lambda m: _blank(m.group()) if m.group()[0] != "]" else "]" + _blank(m.group()[1:]), s)
    cites: list[Citation] = []
    taken: list[tuple[int, int]] = []
    for m in _BRACKET.finditer(s):
        end = m.end()
        if end < len(text) and text[end] in "([":
            continue  # a Markdown link or reference: [text @x](url)
        if m.start() > 0 and text[m.start() - 1] in "]!\\":
            continue
        content = m.group(1)
        if "@" not in content or _BLANK_LINE.search(content):
            continue
        items: list[CiteItem] = []
        base = m.start(1)
        ok = True
        pos = 0
        for part in content.split(";"):
            im = _ITEM.fullmatch(part)
            if not im:
                ok = False
                break
            at = base + pos + im.start("suppress") + len(im.group("suppress"))
            line, col = index.position(at)
            items.append(
                CiteItem(
                    _strip_key(im.group("key")),
                    im.group("prefix").strip(),
                    im.group("suffix").strip().lstrip(",").strip(),
                    bool(im.group("suppress")),
                    line,
                    col,
                )
            )
            pos += len(part) + 1
        if ok and items:
            cites.append(Citation(tuple(items), False, m.start(), end))
            taken.append((m.start(), end))
    if taken:
        s = blank_spans(s, taken)
    for m in _IN_TEXT.finditer(s):
        if m.start() and _NOT_BEFORE_AT.match(s, m.start() - 1):
            continue  # e-mail addresses, escapes, `x@@y`, `-@key` outside brackets
        line, col = index.position(m.start())
        loc = (m.group("loc") or "").strip()
        item = CiteItem(_strip_key(m.group("key")), "", loc, False, line, col)
        cites.append(Citation((item,), True, m.start(), m.end()))
    cites.sort(key=lambda c: c.start)
    return cites


def scan(
    text: str, body_line: int = 0, lines: list[str] | None = None, index: LineIndex | None = None, math: bool = True
) -> Scan:
    """Scan a whole note; lines before `body_line` (0-based) are front matter.

    `lines` and `index` may be passed when the caller already split the text; `math`
    says whether the site renders `$...$` as math (then nothing inside it is a link).
    """
    if lines is None:
        lines = text.split("\n")
    if index is None:
        index = LineIndex(text, lines)
    closers = _Closers(text, index.starts) if "```" in text or "~~~" in text else None
    masked, headings, block_ids = _mask_blocks(lines, body_line, index.starts, closers)
    comments: list[tuple[int, int]] = []
    masked = _mask_inline(masked, math, comments)
    # a "link" whose brackets straddle code or math (`[[$[$$]]`) is not a link
    links = [link for link in find_wikilinks(masked, index) if text[link.start : link.end] == link.raw]
    if links:
        masked = blank_spans(masked, [(link.start, link.end) for link in links])
    citations = find_citations(masked, text, index)
    md_links = find_md_links(masked, index) if "](" in masked or "]:" in masked else []
    return Scan(headings, block_ids, links, citations, find_urls(masked, index), comments, md_links)


_BRACKET_OR_BREAK = re.compile(r"[\[\]]|\n[ \t]*\n")
# a reference definition, also inside a quote, a list item or an admonition (not a footnote `[^1]:`)
_DEFINITION = re.compile(r"^[ \t>]*(?:[-*+][ \t]+)?\[(?!\^)[^\]\n]+\]:[ \t]*\n?[ \t]*(<[^>\n]*>|\S+)", re.M)
_EXTERNAL_DEST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:|//")
# `](` before a destination that has no scheme: a link that may name a file of the site
_SITE_DEST = re.compile(r"\]\([ \t]*\n?[ \t]*<?(?![A-Za-z][A-Za-z0-9+.-]*:|//)[^\s)>]")
_DEST_ANGLE = re.compile(r"[ \t]*\n?[ \t]*<([^<>\n]*)>")
# as Python-Markdown reads it: everything up to the closing ')' (spaces too, one level of
# parentheses), less a trailing "title" or 'title'
_DEST_BARE = re.compile(r"[ \t]*\n?[ \t]*((?:[^()\n]|\([^()\n]*\))+?)(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'))?[ \t]*(?=\))")


def may_link_in_site(body: str) -> bool:
    """Whether Markdown in `body` may hold a link or image to a file of the site (a `](` before a
    destination without a scheme, or a reference definition): only then is it rendered to see."""
    if "](" in body and _SITE_DEST.search(body) is not None:
        return True
    return "]:" in body and _DEFINITION.search(body) is not None


def find_md_links(masked: str, index: LineIndex) -> list[MdLink]:
    """Markdown links, images and reference definitions whose destination is inside the site.

    One pass over the brackets of `masked` (code, math, comments and wiki-links blanked): an
    opener stack, emptied at a blank line (a link never spans paragraphs); a `](` after a
    matched opener starts a destination, read as Python-Markdown reads it (`<...>`, or a run
    without spaces and with balanced parentheses). Linear: each destination is read once and
    the pass resumes after it."""
    out: list[MdLink] = []
    openers: list[int] = []
    resume = 0
    inline = _SITE_DEST.search(masked) is not None  # most links go to the web: then no pass at all
    for m in _BRACKET_OR_BREAK.finditer(masked) if inline else ():
        at = m.start()
        if at < resume:
            continue
        ch = m.group()
        if ch == "[":
            if not (at and masked[at - 1] == "\\"):
                openers.append(at)
        elif ch == "]":
            if not openers or (at and masked[at - 1] == "\\"):
                continue
            opener = openers.pop()
            if masked.startswith("(", at + 1):
                found = _destination(masked, at + 2)
                if found is not None:
                    start, dest, resume = found
                    image = opener > 0 and masked[opener - 1] == "!"
                    _add_md_link(out, dest, image, start, index)
                    openers.clear()  # a link's text holds no other link
        else:
            openers.clear()
    if "]:" in masked:
        for m in _DEFINITION.finditer(masked):
            dest = m.group(1)
            angle = dest.startswith("<")
            _add_md_link(out, dest[1:-1] if angle else dest, False, m.start(1) + angle, index)
        out.sort(key=lambda link: (link.line, link.column))
    return out


def _destination(s: str, i: int) -> tuple[int, str, int] | None:
    """(offset, destination, end) of the destination starting at or after `i`, or None."""
    m = _DEST_ANGLE.match(s, i) or _DEST_BARE.match(s, i)
    return None if m is None else (m.start(1), m.group(1), m.end())


def _add_md_link(out: list[MdLink], dest: str, image: bool, start: int, index: LineIndex) -> None:
    if not dest or _EXTERNAL_DEST.match(dest):
        return  # a URL with a scheme (https:, mailto:) or a network path: not a file of the site
    line, col = index.position(start)
    out.append(MdLink(dest, image, line, col, start, start + len(dest)))

"""Indentation out of a finished page: Material's templates indent every line, which is a
third of a page's bytes. Lines are kept (a line break renders as the space it stands for),
only the spaces that start a line and blank lines go, and never inside elements whose
whitespace is content (`pre`, `textarea`, `script`, `style`)."""

from __future__ import annotations

import re

_VERBATIM = re.compile(r"<(pre|textarea|script|style)\b.*?</\1\s*>", re.S | re.I)
_INDENT = re.compile(r"\n[ \t]+")
_BLANK = re.compile(r"\n{2,}")


def squeeze(page: str) -> str:
    """`page` without leading indentation and blank lines outside verbatim elements."""
    out, last = [], 0
    for m in _VERBATIM.finditer(page):
        out.append(_squeeze_text(page[last : m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(_squeeze_text(page[last:]))
    return "".join(out)


def _squeeze_text(text: str) -> str:
    return _BLANK.sub("\n", _INDENT.sub("\n", text))

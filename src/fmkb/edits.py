"""Editing a note's bytes: text edits made on the note as fmkb read it, everything else kept.

fmkb reads a note with its BOM dropped and its line ends made LF (`load.normalize_text`);
an edit is made on that text and the file's own BOM and CRLF line ends are put back, so
the bytes outside an edit are the file's own. A file with mixed line ends is refused.
"""

from __future__ import annotations

from .load import normalize_text

Edit = tuple[int, int, str]  # (start, end, replacement) in the note's text as fmkb read it


class EditRefused(Exception):
    """The file cannot be edited without changing bytes outside the edits."""


def apply_edits(raw: bytes, expected: str, edits: list[Edit], shown: str) -> bytes:
    """The file's bytes with the edits made, and nothing else changed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EditRefused(f"{shown} is not valid UTF-8") from None
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    crlf = "\r\n" in body
    if "\r" in body and (not crlf or "\r" in body.replace("\r\n", "")):
        raise EditRefused(f"{shown} mixes line endings; make them one kind first")
    normalized = normalize_text(text)
    if normalized != expected:  # the text fmkb read, and made the edits for
        raise EditRefused(f"{shown} changed while fmkb was working")
    out = []
    last = 0
    for start, end, new in sorted(edits):
        out.append(normalized[last:start])
        out.append(new)
        last = end
    out.append(normalized[last:])
    result = "".join(out)
    if crlf:
        result = result.replace("\n", "\r\n")
    return (("\ufeff" if bom else "") + result).encode("utf-8")

"""The `html-unsafe` decision, shared by the checker (a diagnostic) and the renderer (escaping).

Notes come from strangers and end up on a public page, so raw HTML is held to an
allow-list of formatting tags, and no tag, link or image may carry script
(`on*=` handlers, `javascript:`/`vbscript:`/`data:` URLs) or load outside content
(`<iframe>`, `<object>`, `<embed>`, `<link>`, `<style>`, `<script>`, ...).
"""

from __future__ import annotations

import re

from .scan import RawHtml

_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]")


def html_problem(raw: RawHtml, allowed: frozenset[str]) -> str | None:
    """Why this raw HTML or link is unsafe, or None."""
    if raw.problem:
        return raw.problem
    if raw.tag and raw.tag not in allowed:
        return f"raw HTML <{raw.tag}> is not on the allow-list"
    return None


def markup_in_text(value: str) -> bool:
    """A front-matter string (title, alias, tag, description) that holds HTML markup."""
    return bool(_MARKUP.search(value))

"""A navigation that scales: in a large vault each page shows a window of its section.

Material renders the navigation into every page, and with `navigation.sections` every
top-level section's pages are in it: a vault of 4,000 papers puts thousands of links
(about a megabyte) into each page, so the site grows with the square of the vault and
rendering the navigation is most of the build. Above `limit` pages in all, a page's copy
of the navigation keeps, in the sections it is in, the index page, the `radius` pages
either side of it and a link to the index (which lists every note), and of every other
section only its index. A smaller vault's navigation is shown whole, as before.
"""

from __future__ import annotations

import copy

from mkdocs.structure.nav import Link, Navigation, Section


def windowed(nav: Navigation, limit: int, radius: int) -> Navigation | None:
    """This page's navigation (MkDocs marks the page and its sections `active` while it is
    rendered), or None when the whole navigation has at most `limit` pages."""
    if len(nav.pages) <= limit:
        return None
    trimmed = copy.copy(nav)
    trimmed.items = _items(nav.items, radius)
    return trimmed


def _items(items: list, radius: int) -> list:
    out = []
    for item in items:
        if isinstance(item, Section):
            item = copy.copy(item)
            item.children = _items(_window(item.children, radius), radius) if item.active else _closed(item.children)
        out.append(item)
    return out


def _closed(children: list) -> list:
    """A section the page is not in: its index page (the section's link), or its first item."""
    first = children[:1]
    if first and isinstance(first[0], Section):
        section = copy.copy(first[0])
        section.children = _closed(section.children)
        return [section]
    return first


def _window(children: list, radius: int) -> list:
    index = children[0] if children and getattr(children[0], "is_index", False) else None
    rest = children[1:] if index is not None else children
    if len(rest) <= 2 * radius + 1:
        return children
    at = next((i for i, child in enumerate(rest) if child.active), 0)
    start = max(0, min(at - radius, len(rest) - (2 * radius + 1)))
    shown = rest[start : start + 2 * radius + 1]
    if index is not None:
        shown.append(Link(f"All {len(rest):,} in {index.title}", index.url))
    return ([index] if index is not None else []) + shown

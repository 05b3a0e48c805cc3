"""Which note pages a `mkdocs serve --dirty` rebuild must render again.

MkDocs renders again only the pages whose file is newer than their output. A note's page
also shows other notes: their titles and URLs in its links, Linked-from and local graph
(with the links among its neighbours), the excerpt of a note it embeds, the labels of the
works it cites (2020a, 2020b) and the paper notes that hold them, and, on a paper's page,
the notes that cite it. `outdated` compares this build's view of all that with the last
build's and names the notes whose page changed beyond their own file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .site import Build


def outdated(now: Build, last: Build, fresh: set[str]) -> set[str]:
    """The notes to render again: `fresh` (checked again: a link of theirs may resolve
    differently) and every note whose page shows something that changed."""
    stale = set(fresh)
    everyone = now.notes.keys() | last.notes.keys()

    def around(path: str) -> set[str]:
        """The notes whose page shows `path`: its neighbours in either build, and the paper
        notes of the works it cites (their Cited-in lists it)."""
        near = set()
        for b in (now, last):
            near |= b.links_in.get(path, set()) | b.links_out.get(path, set())
            edges = b.edges.get(path)
            if edges is not None:
                near.update(b.paper_notes[k] for k in edges.keys if k in b.paper_notes)
        return near

    for path in everyone:
        if now.links_out.get(path) != last.links_out.get(path):  # local graphs show links among neighbours
            stale |= {path} | around(path)
        elif now.backlinks.get(path) != last.backlinks.get(path):  # a Linked-from sentence changed
            stale.add(path)
    for path in everyone:  # a title, kind or URL shown elsewhere changed, or the note came or went
        if now.titles.get(path) != last.titles.get(path) or now.urls.get(path) != last.urls.get(path):
            stale |= around(path)
    for path, edges in now.edges.items():  # an embedded note's text changed
        if any(kind == "embed" and target in fresh for target, kind in edges.links):
            stale.add(path)
    cited, was = now.analysis.report.cited, last.analysis.report.cited
    keys = {k for k in cited.keys() | was.keys() if cited.get(k) != was.get(k)}
    keys |= {
        k for k in now.paper_notes.keys() | last.paper_notes.keys() if now.paper_notes.get(k) != last.paper_notes.get(k)
    }
    if now.view is not last.view:  # labels made again: a new 2020a/2020b shows wherever the key does
        keys |= {
            k
            for k in cited.keys() & was.keys()
            if now.view.year(k) != last.view.year(k) or now.view.label(k) != last.view.label(k)
        }
    for key in keys:
        for b in (now, last):
            stale.update(b.analysis.report.cited.get(key, ()))
            if key in b.paper_notes:
                stale.add(b.paper_notes[key])
    return stale & now.notes.keys()

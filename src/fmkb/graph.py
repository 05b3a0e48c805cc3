"""`fmkb graph`: the note graph (notes, their links and the works they cite) as JSON or DOT.

Built from the engine's full pass, so an edge is exactly a link the check resolved: broken
links are not edges. JSON for scripts and graph tools; DOT for Graphviz.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .engine import Analysis
from .model import Note
from .render import link_context, sentence_breaks
from .resolve import Index, check_link, check_md_link


@dataclass(slots=True)
class Graph:
    notes: list[dict] = field(default_factory=list)  # id (path), title, kind, tags
    links: list[dict] = field(default_factory=list)  # source, target, type: link | embed | markdown
    citations: list[dict] = field(default_factory=list)  # source, key
    references: list[dict] = field(default_factory=list)  # key, title, year (the works cited)


@dataclass(slots=True)
class Edges:
    """What one note adds to the graph; it depends only on the note and the index."""

    links: list[tuple[str, str]]  # (target note, link | embed | markdown), once each
    keys: list[str]  # the bib keys it cites (its citations', then its `cite` and `paper`)
    contexts: dict[str, str] | None = None  # target -> the sentence around the first wiki-link to it


def note_edges(note: Note, index: Index, entries: Mapping[str, object], contexts: bool = False) -> Edges:
    """A note's resolved links (broken ones are no edges) and cited keys; with `contexts`,
    the sentence around its first wiki-link to each note (a Linked-from entry's text)."""
    edges: dict[tuple[str, str], None] = {}
    around: dict[str, str] = {}
    breaks = None
    for link in note.links:
        res, problem = check_link(index, note, link)
        if problem is None and res.note is not None and res.note is not note:
            target = res.note.path
            edges.setdefault((target, "embed" if link.embed else "link"))
            if contexts and target not in around:
                breaks = sentence_breaks(note) if breaks is None else breaks
                around[target] = link_context(note, link, breaks=breaks)
    for md in note.md_links:
        res, _ = check_md_link(index, note, md, lambda _n: [])
        if res.note is not None and res.note is not note:
            edges.setdefault((res.note.path, "markdown"))
    keys = dict.fromkeys(item.key for c in note.citations for item in c.items if item.key in entries)
    for name in ("cite", "paper"):
        value = note.meta.get(name)
        if isinstance(value, str) and value in entries:
            keys.setdefault(value)
    return Edges(list(edges), list(keys), around if contexts else None)


def note_graph(analysis: Analysis, edges_of: Callable[[Note], Edges] | None = None) -> Graph:
    """The whole vault's graph; `edges_of` gives a note's edges (default: `note_edges`)."""
    graph = Graph()
    entries = analysis.bib.entries
    edges_of = edges_of or (lambda note: note_edges(note, analysis.index, entries))
    cited: set[str] = set()
    for note in analysis.vault.notes:
        graph.notes.append({"id": note.path, "title": note.title, "kind": note.kind, "tags": note.tags})
        edges = edges_of(note)
        graph.links.extend({"source": note.path, "target": t, "type": kind} for t, kind in edges.links)
        graph.citations.extend({"source": note.path, "key": key} for key in edges.keys)
        cited.update(edges.keys)
    for key in sorted(cited):
        fields = entries[key].fields
        graph.references.append({"key": key, "title": fields.get("title", ""), "year": fields.get("year", "")})
    return graph


def to_json(graph: Graph) -> str:
    data = {"notes": graph.notes, "links": graph.links, "citations": graph.citations, "references": graph.references}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


_SHAPES = {"paper": "note", "model": "box3d", "concept": "ellipse", "resource": "folder", "page": "box"}


def to_dot(graph: Graph, citations: bool = True) -> str:
    """Graphviz DOT: notes shaped by kind, cited works as plain boxes."""
    lines = ["digraph fmkb {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for n in graph.notes:
        lines.append(f"  {_id(n['id'])} [label={_id(n['title'])}, shape={_SHAPES.get(n['kind'], 'box')}];")
    for e in graph.links:
        style = {"embed": " [style=bold]", "markdown": " [style=dashed]"}.get(e["type"], "")
        lines.append(f"  {_id(e['source'])} -> {_id(e['target'])}{style};")
    if citations:
        for r in graph.references:
            label = f"{r['title']} ({r['year']})" if r["year"] else r["title"]
            lines.append(f"  {_id('@' + r['key'])} [label={_id(label)}, shape=plaintext];")
        for c in graph.citations:
            lines.append(f"  {_id(c['source'])} -> {_id('@' + c['key'])} [color=gray];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _id(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, line breaks as \\n."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{escaped}"'


# --- the site's graph views -------------------------------------------------------------

GLOBAL_LIMIT = 400  # notes drawn on the Graph page: the most linked, so a large vault stays light
LOCAL_LIMIT = 60  # neighbours drawn in a note's local graph


def adjacency(edges: Mapping[str, Edges]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(outgoing, incoming) note links: each note (a key of `edges`, its `note_edges`) to the
    set of notes it links to / from, by any kind of link."""
    out: dict[str, set[str]] = {path: {target for target, _ in e.links} for path, e in edges.items()}
    inc: dict[str, set[str]] = {path: set() for path in edges}
    for path, targets in out.items():
        for target in targets:
            inc[target].add(path)
    return out, inc


def site_graph(
    titles: dict[str, tuple[str, str]],
    out: dict[str, set[str]],
    inc: dict[str, set[str]],
    urls: dict[str, str],
    limit: int = GLOBAL_LIMIT,
) -> dict:
    """The Graph page's data: the `limit` most-linked published notes (`urls`: their
    site-relative URLs; `titles`: path -> (title, kind)) and the links among them; `total`
    says how many notes are published."""
    published = [p for p in titles if p in urls]
    degree = {p: len(out.get(p, set()) | inc.get(p, set())) for p in published}
    chosen = sorted(published, key=lambda p: (-degree[p], titles[p][0].lower(), p))[:limit]
    index = {p: i for i, p in enumerate(chosen)}
    links = sorted((index[a], index[b]) for a in chosen for b in out.get(a, ()) if b in index and b != a)
    return {
        "total": len(published),
        "nodes": [{"title": titles[p][0], "kind": titles[p][1], "url": urls[p], "degree": degree[p]} for p in chosen],
        "links": [list(link) for link in links],
    }


def local_graph(
    path: str,
    titles: dict[str, tuple[str, str]],
    out: dict[str, set[str]],
    inc: dict[str, set[str]],
    url_for,
    limit: int = LOCAL_LIMIT,
) -> dict:
    """A note's local graph: the note first, then the notes it links to and that link to it
    (`dir`: out, in or both), at most `limit`, with the links among them. `titles` maps a
    path to (title, kind); `url_for` gives a path's URL relative to the note's page."""
    near = (out.get(path, set()) | inc.get(path, set())) - {path}
    near_paths = sorted((p for p in near if p in titles), key=lambda p: (titles[p][1], titles[p][0].lower(), p))
    members = [path, *near_paths[:limit]]
    index = {p: i for i, p in enumerate(members)}

    def direction(p: str) -> str:
        o, i = p in out.get(path, ()), p in inc.get(path, ())
        return "both" if o and i else "out" if o else "in"

    nodes = [{"title": titles[path][0], "kind": titles[path][1], "url": "", "dir": "self"}]
    nodes += [
        {"title": titles[p][0], "kind": titles[p][1], "url": url_for(p), "dir": direction(p)} for p in members[1:]
    ]
    links = sorted({(index[a], index[b]) for a in members for b in out.get(a, ()) if b in index and a != b})
    return {"nodes": nodes, "links": [list(link) for link in links], "more": max(0, len(near_paths) - limit)}

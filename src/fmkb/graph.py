"""`fmkb graph`: the note graph (notes, their links and the works they cite) as JSON or DOT.

Built from the engine's full pass, so an edge is exactly a link the check resolved: broken
links are not edges. JSON for scripts and graph tools; DOT for Graphviz.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .engine import Analysis
from .resolve import check_link, check_md_link


@dataclass(slots=True)
class Graph:
    notes: list[dict] = field(default_factory=list)  # id (path), title, kind, tags
    links: list[dict] = field(default_factory=list)  # source, target, type: link | embed | markdown
    citations: list[dict] = field(default_factory=list)  # source, key
    references: list[dict] = field(default_factory=list)  # key, title, year (the works cited)


def note_graph(analysis: Analysis) -> Graph:
    graph = Graph()
    index = analysis.index
    cited: set[str] = set()
    for note in analysis.vault.notes:
        graph.notes.append({"id": note.path, "title": note.title, "kind": note.kind, "tags": note.tags})
        edges: dict[tuple[str, str], None] = {}
        for link in note.links:
            res, problem = check_link(index, note, link)
            if problem is None and res.note is not None and res.note is not note:
                edges.setdefault((res.note.path, "embed" if link.embed else "link"))
        for md in note.md_links:
            res, _ = check_md_link(index, note, md, lambda _n: [])
            if res.note is not None and res.note is not note:
                edges.setdefault((res.note.path, "markdown"))
        graph.links.extend({"source": note.path, "target": t, "type": kind} for t, kind in edges)
        keys = dict.fromkeys(item.key for c in note.citations for item in c.items if item.key in analysis.bib.entries)
        for name in ("cite", "paper"):
            value = note.meta.get(name)
            if isinstance(value, str) and value in analysis.bib.entries:
                keys.setdefault(value)
        graph.citations.extend({"source": note.path, "key": key} for key in keys)
        cited.update(keys)
    for key in sorted(cited):
        fields = analysis.bib.entries[key].fields
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

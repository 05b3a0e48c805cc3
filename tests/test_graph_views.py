"""The site's graph data: the Graph page's most-linked notes and a note's local graph,
pure functions of the link adjacency (the browser tests draw them)."""

from __future__ import annotations

from fmkb.graph import local_graph, site_graph

TITLES = {"a.md": ("A", "concept"), "b.md": ("B", "paper"), "c.md": ("C", "paper"), "d.md": ("D", "model")}
OUT = {"a.md": {"b.md", "c.md"}, "b.md": {"a.md"}, "c.md": set(), "d.md": {"a.md"}}
INC = {"a.md": {"b.md", "d.md"}, "b.md": {"a.md"}, "c.md": {"a.md"}, "d.md": set()}
URLS = {p: p[0] + "/" for p in TITLES}


def test_the_graph_page_keeps_the_most_linked_notes_and_only_the_links_among_them():
    data = site_graph(TITLES, OUT, INC, URLS, limit=2)
    assert data["total"] == 4
    assert [n["title"] for n in data["nodes"]] == ["A", "B"]  # degree 3, then 1 (ties by title)
    assert data["links"] == [[0, 1], [1, 0]]


def test_the_graph_page_leaves_out_unpublished_notes():
    data = site_graph(TITLES, OUT, INC, {p: u for p, u in URLS.items() if p != "a.md"})
    assert "A" not in [n["title"] for n in data["nodes"]] and data["total"] == 3


def test_a_local_graph_has_the_note_first_then_its_neighbours_with_their_direction():
    data = local_graph("a.md", TITLES, OUT, INC, lambda p: "../" + p)
    nodes = [(n["title"], n["dir"]) for n in data["nodes"]]
    assert nodes == [("A", "self"), ("D", "in"), ("B", "both"), ("C", "out")]  # by kind, then title
    assert data["nodes"][1]["url"] == "../d.md" and data["more"] == 0
    assert [0, 2] in data["links"] and [3, 0] not in data["links"]


def test_a_local_graph_is_capped_and_says_how_many_more():
    data = local_graph("a.md", TITLES, OUT, INC, lambda p: p, limit=1)
    assert len(data["nodes"]) == 2 and data["more"] == 2

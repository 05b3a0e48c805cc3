"""The Models index's timeline: parameter counts read from front matter, and the SVG chart."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from fmkb.timeline import ModelPoint, model_point, parse_parameter_count, timeline_svg

SVG = "{http://www.w3.org/2000/svg}"
ALLOWED_ELEMENTS = {"svg", "g", "circle", "line", "text", "title", "rect", "path"}
ALLOWED_ATTRIBUTES = {
    "viewBox", "width", "height", "role", "aria-label", "class", "x", "y", "x1", "y1", "x2", "y2",
    "cx", "cy", "r", "d", "text-anchor", "transform", "fill", "stroke", "font-size", "xmlns",
}  # fmt: skip
ROOT = Path(__file__).parents[1]


def point(title: str, released: str, parameters: float | None) -> ModelPoint:
    return ModelPoint(title, f"models/{title}/", released, parameters)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def models(root: ET.Element) -> dict[str, ET.Element]:
    """Each model's group, by the visible label it carries."""
    return {g.find(f"{SVG}text").text: g for g in root.iter(f"{SVG}g") if g.get("class") == "fmkb-tl-model"}


def circle(group: ET.Element) -> ET.Element:
    found = group.find(f"{SVG}circle")
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("110M / 340M", 3.4e8),
        ("175B", 1.75e11),
        ("1.8T", 1.8e12),
        ("7B-70B", 7e10),
        ("39M / 74M / 244M / 769M / 1.55B", 1.55e9),
        ("117B (gpt-oss-120b), 21B (gpt-oss-20b)", 1.17e11),  # a variant's name is no count
        ("2B MMDiT (SD3 Medium); up to 8B in the paper", 8e9),
        ("Nano-1 1.8B, Nano-2 3.25B; Pro and Ultra undisclosed", 3.25e9),
        ("7 billion", 7e9),
        ("1,000M", 1e9),
        ("175000000000", 1.75e11),
        (175_000_000_000, 1.75e11),
    ],
)
def test_parameter_count_is_the_largest_count_given(text, count):
    assert parse_parameter_count(text) == pytest.approx(count)


@pytest.mark.parametrize("text", ["unknown", "undisclosed", "", None, True, 0, "8x7B", "SD3 Medium"])
def test_parameter_count_is_none_when_no_count_is_given(text):
    assert parse_parameter_count(text) is None


@pytest.mark.parametrize(
    ("released", "text"),
    [("2018-10", "2018-10"), ("2023", "2023"), (2023, "2023"), ("2024-07-23", "2024-07-23"),
     (dt.date(2020, 5, 28), "2020-05-28"), (dt.datetime(2020, 5, 28, 9, 30), "2020-05-28")],
)  # fmt: skip
def test_release_is_read_in_every_form_the_schema_accepts(released, text):
    p = model_point("M", "m/", {"released": released, "parameters": "7B"})
    assert p is not None and p.released == text and p.parameters == 7e9


@pytest.mark.parametrize("released", [None, "soon", "2023-13", "2023-02-30", "23-01", True])
def test_model_without_usable_release_date_has_no_point(released):
    assert model_point("M", "m/", {"released": released, "parameters": "7B"}) is None


def test_later_release_is_placed_further_right():
    root = parse(timeline_svg([point("Later", "2023-06", 1e9), point("Earlier", "2019-02", 1e9)]))
    groups = models(root)
    assert float(circle(groups["Later"]).get("cx")) > float(circle(groups["Earlier"]).get("cx"))


def test_release_within_a_year_moves_a_point_right():
    root = parse(timeline_svg([point("Jan", "2022-01-05", 1e9), point("Dec", "2022-12", 1e10)]))
    groups = models(root)
    assert float(circle(groups["Dec"]).get("cx")) > float(circle(groups["Jan"]).get("cx"))


def test_larger_model_is_placed_higher():
    root = parse(timeline_svg([point("Small", "2022", 1.1e8), point("Large", "2022", 1.75e11)]))
    groups = models(root)
    assert float(circle(groups["Large"]).get("cy")) < float(circle(groups["Small"]).get("cy"))


def test_parameter_axis_is_logarithmic_with_decade_ticks():
    root = parse(timeline_svg([point("A", "2020", 1.1e8), point("B", "2021", 1e9), point("C", "2022", 1.8e12)]))
    ticks = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "fmkb-tl-tick" for t in g]
    assert ["100M", "1B", "10B", "100B", "1T", "10T"] == [t for t in ticks if not t.isdigit()]
    ys = {g.find(f"{SVG}text").text: float(circle(g).get("cy")) for g in models(root).values()}
    # 1.1e8 -> 1e9 is about one decade, 1e9 -> 1.8e12 about three: equal decades, equal steps
    assert (ys["B"] - ys["C"]) / (ys["A"] - ys["B"]) == pytest.approx(3.26 / 0.96, rel=0.01)


def test_years_are_labelled():
    root = parse(timeline_svg([point("A", "2018-10", 3.4e8), point("B", "2021-03", 1e9)]))
    labels = [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "fmkb-tl-tick" for t in g]
    assert [t for t in labels if t.isdigit()] == ["2018", "2019", "2020", "2021"]


def test_unknown_parameters_go_to_the_bottom_strip():
    root = parse(timeline_svg([point("Known", "2020", 1e8), point("Secret", "2021", None)]))
    (strip,) = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "fmkb-tl-strip"]
    top, bottom = float(strip.get("y")), float(strip.get("y")) + float(strip.get("height"))
    groups = models(root)
    assert top < float(circle(groups["Secret"]).get("cy")) < bottom
    assert float(circle(groups["Known"]).get("cy")) < top  # the smallest known model is still above it
    assert "fmkb-tl-undisclosed" in circle(groups["Secret"]).get("class").split()
    assert "parameters not disclosed" in [t.text for t in root.iter(f"{SVG}text")]


def test_no_strip_when_every_size_is_known():
    root = parse(timeline_svg([point("Known", "2020", 1e8)]))
    assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "fmkb-tl-strip"]


def test_each_point_has_a_tooltip_with_name_release_and_parameters():
    p = ModelPoint("BERT", "models/BERT/", "2018-10", 3.4e8, "110M / 340M")
    (group,) = models(parse(timeline_svg([p]))).values()
    tooltip = group.find(f"{SVG}title").text
    assert "BERT" in tooltip and "2018-10" in tooltip and "110M / 340M" in tooltip


def test_long_titles_are_shortened_on_the_chart_but_whole_in_the_tooltip():
    title = "Segment Anything Model With A Long Name"
    (group,) = models(parse(timeline_svg([point(title, "2023-04", None)]))).values()
    assert len(group.find(f"{SVG}text").text) < len(title)
    assert title in group.find(f"{SVG}title").text


def test_contributor_text_is_escaped():
    hostile = '<script>alert("x")</script>'
    p = ModelPoint(hostile, "models/x/", "2023", None, '"><rect onload=alert(1)>')
    svg = timeline_svg([p])
    assert "<script" not in svg and "onload=alert(1)>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)  # still well-formed
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "fmkb-tl-model"]
    assert group.find(f"{SVG}title").text.startswith(hostile)  # shown as the text it is


def test_only_allowed_elements_and_attributes_appear():
    points = [point("A & B", "2019", 1e9), point("C", "2020-05-28", None), point("D", "2024-07", 1.8e12)]
    root = parse(timeline_svg(points))
    for element in root.iter():
        assert element.tag.removeprefix(SVG) in ALLOWED_ELEMENTS
        assert set(element.attrib) <= ALLOWED_ATTRIBUTES, element.attrib
    svg = timeline_svg(points)
    assert "style" not in svg and "href" not in svg and "<a" not in svg


def test_svg_is_accessible_and_scales_to_its_container():
    root = parse(timeline_svg([point("A", "2020", 1e9)]))
    assert root.get("role") == "img"
    assert root.get("aria-label").startswith("Models by release date and parameter count")
    assert root.get("width") == "100%" and len(root.get("viewBox").split()) == 4


def test_output_is_deterministic_and_independent_of_input_order():
    points = [point("A", "2020", 1e9), point("B", "2019", None), point("C", "2022-03", 5e10)]
    assert timeline_svg(points) == timeline_svg(list(reversed(points)))


def test_points_are_drawn_in_date_order():
    points = [point("C", "2022-03", 5e10), point("A", "2019", 1e9), point("B", "2020-06-01", 2e9)]
    assert list(models(parse(timeline_svg(points)))) == ["A", "B", "C"]


def test_empty_input_gives_no_chart():
    assert timeline_svg([]) == ""


def test_only_undisclosed_models_still_give_a_chart():
    root = parse(timeline_svg([point("A", "2023", None), point("B", "2024", None)]))
    assert len(list(root.iter(f"{SVG}circle"))) == 2


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    return yaml.safe_load(text.split("\n---", 1)[0].removeprefix("---\n")) or {}


def test_every_shipped_model_with_a_release_date_gets_exactly_one_circle():
    notes = sorted((ROOT / "notes" / "models").glob("*.md"))
    assert notes
    points, dated = [], 0
    for path in notes:
        meta = front_matter(path)
        dated += meta.get("released") is not None
        p = model_point(meta.get("title", path.stem), f"models/{path.stem}/", meta)
        if p is not None:
            points.append(p)
    assert len(points) == dated  # every release date in the notes is usable
    root = parse(timeline_svg(points))
    per_model: dict[str, int] = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "fmkb-tl-model":
            name = g.find(f"{SVG}title").text.split(" — ")[0]
            per_model[name] = per_model.get(name, 0) + len(g.findall(f"{SVG}circle"))
    assert per_model == {p.title: 1 for p in points}
    assert len(list(root.iter(f"{SVG}circle"))) == len(points)

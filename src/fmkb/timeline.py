"""The Models index's timeline: every model by release date and parameter count, as inline SVG.

Drawn once at build time, so the page needs no script: a static chart whose markup uses
only the SVG elements and attributes the site's sanitizer lets through (no `style`, no
links). Colours come from CSS classes (`fmkb-tl-*`), so the theme's dark mode restyles it;
without that CSS it falls back to the text colour (`currentColor`). Everything shown comes
from contributors' front matter and is HTML-escaped.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .render import fact_text
from .schema import _date, _parameters

# --- reading the front matter --------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelPoint:
    """One model as the timeline plots it."""

    title: str
    url: str  # of its page; the chart itself cannot link (the sanitizer allows no <a> in SVG)
    released: str  # ISO text, as precise as the note is: "2018", "2018-10" or "2018-10-11"
    parameters: float | None  # the largest count the note gives; None when it gives none
    parameters_text: str = ""  # the note's own wording ("110M / 340M"), for the tooltip

    @property
    def when(self) -> float:
        """The release as a fractional year, at the middle of the period the note names (a
        model "released 2023" is not placed on 1 January)."""
        parts = [int(p) for p in self.released.split("-")]
        year = parts[0]
        if len(parts) == 1:
            return year + 0.5
        month = parts[1]
        before = dt.date(year, month, 1).timetuple().tm_yday - 1  # days of the year before the month
        middle = before + (calendar.monthrange(year, month)[1] / 2 if len(parts) == 2 else parts[2] - 0.5)
        return year + middle / (366 if calendar.isleap(year) else 365)


_RELEASED = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def release_text(value: Any) -> str | None:
    """A `released` value as ISO text ("2018-10"), or None when the schema refuses it or it
    names no real day or month ("2023-13")."""
    if isinstance(value, dt.datetime):  # YAML reads a timestamp as one; the day is what counts
        value = value.date()
    if _date(value) is not None:
        return None
    text = fact_text("released", value).strip()
    m = _RELEASED.fullmatch(text)
    if m is None:
        return None
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        dt.date(year or 0, month or 1, day or 1)
    except ValueError:
        return None
    return text


_SCALES = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "k": 1e3,
    "m": 1e6,
    "b": 1e9,
    "t": 1e12,
}
# A count with its unit ("1.5B", "1,000M", "7 billion"); not a digit inside a name ("SD3
# Medium", "8x7B"): the number starts a word and the unit ends one.
_COUNT = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?(thousand|million|billion|trillion|[kmbt])(?![a-z])",
    re.IGNORECASE,
)
_PLAIN_NUMBER = re.compile(r"\d{1,3}(?:[,_]\d{3})+|\d+(?:\.\d+)?")
_PARENTHESES = re.compile(r"\([^()]*\)")


def parse_parameter_count(value: Any) -> float | None:
    """The largest parameter count a `parameters` value gives ("110M / 340M" -> 3.4e8), or None
    when it gives none ("unknown", "undisclosed").

    The largest, because a note lists a family's sizes and the chart places the family once.
    Parentheses are left out: they name variants, whose names carry numbers of their own
    ("117B (gpt-oss-120b)").
    """
    if _parameters(value) is not None:
        return None
    if isinstance(value, (int, float)):
        count = float(value)
    else:
        text = str(value).strip()
        if _PLAIN_NUMBER.fullmatch(text):  # "175000000000"
            count = float(re.sub(r"[,_]", "", text))
        else:
            while _PARENTHESES.search(text):
                text = _PARENTHESES.sub(" ", text)
            counts = [float(m.group(1).replace(",", "")) * _SCALES[m.group(2).lower()] for m in _COUNT.finditer(text)]
            count = max(counts, default=0.0)
    return count if math.isfinite(count) and count > 0 else None


def model_point(title: str, url: str, meta: Mapping[str, Any]) -> ModelPoint | None:
    """A model note's place on the timeline; None when it has no usable release date (a model
    without parameters still has one: in the "not disclosed" strip)."""
    released = release_text(meta.get("released"))
    if released is None:
        return None
    raw = meta.get("parameters")
    text = fact_text("parameters", raw) if _parameters(raw) is None else ""
    return ModelPoint(" ".join(title.split()), url, released, parse_parameter_count(raw), " ".join(text.split()))


# --- drawing -------------------------------------------------------------------

WIDTH = 640
LEFT, RIGHT = 58.0, 628.0  # the plotting area's x extent; the y tick labels sit left of it
TOP = 12.0
PLOT_HEIGHT = 280.0  # the log-scale area
STRIP_HEIGHT = 46.0  # the "parameters not disclosed" strip under it
GAP = 8.0
INSET = 10.0  # keeps points off the edges of their area
FONT = 12  # tick labels
LABEL_FONT = 11  # model names
LABEL_CHARS = 16  # longer titles are cut (the tooltip has the whole)
R = 4.0
STRIP_LABEL = "parameters not disclosed"
AXIS_TITLE = "parameters (log scale)"

_UNITS = ((12, "T"), (9, "B"), (6, "M"), (3, "K"))


def count_label(count: float) -> str:
    """A parameter count as people write it: 3.4e8 -> "340M", 1.55e9 -> "1.55B"."""
    for power, unit in _UNITS:
        if count >= 10**power:
            return f"{count / 10**power:.3g}{unit}"
    return f"{count:.3g}"


def _f(v: float) -> str:
    """A coordinate, short and the same for the same input."""
    return f"{v:.1f}".removesuffix(".0")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _text_box(x: float, y: float, anchor: str, text: str, size: float) -> Box:
    """Roughly where a line of text lands (no font metrics at build time: an average glyph)."""
    w = len(text) * size * 0.56
    x0 = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return (x0, y - size * 0.8, x0 + w, y + size * 0.25)


# Where a label may go, tried in this order: (dx, dy as multiples of the font size past the
# circle's edge, text-anchor). Right and left come first (they keep the eye on the point),
# then above and below, then the diagonals.
_SPOTS = (
    (1, 0.35, "start"),
    (-1, 0.35, "end"),
    (0, -0.35, "middle"),
    (0, 1.05, "middle"),
    (0.7, -0.5, "start"),
    (-0.7, -0.5, "end"),
    (0.7, 1.2, "start"),
    (-0.7, 1.2, "end"),
)


def _place_labels(
    centres: list[tuple[float, float]], texts: list[str], areas: list[Box], fixed: list[Box]
) -> list[tuple[float, float, str]]:
    """Each label's (x, y, anchor): the spot around its point that stays in its area and
    overlaps least with the other points and the labels placed before it. Greedy and in date
    order, so the same models always get the same places; a crowded label may still overlap."""
    dots = [(cx - R - 1, cy - R - 1, cx + R + 1, cy + R + 1) for cx, cy in centres]
    labels: list[Box] = list(fixed)
    placed: list[tuple[float, float, str]] = []
    for i, ((cx, cy), text, area) in enumerate(zip(centres, texts, areas, strict=True)):
        others = dots[:i] + dots[i + 1 :]
        best: tuple[float, int, tuple[float, float, str], Box] | None = None
        for k, (dx, dy, anchor) in enumerate(_SPOTS):
            order = k ^ 1 if i % 2 and k < 2 else k  # right first, then left first: neighbours fan out
            x = cx + dx * (R + 3)
            y = cy + dy * LABEL_FONT + (0 if dx else math.copysign(R, dy))
            box = _text_box(x, y, anchor, text, LABEL_FONT)
            inside = area[0] <= box[0] and box[2] <= area[2] and area[1] <= box[1] and box[3] <= area[3]
            score = sum(_overlap(box, t) for t in labels) + sum(_overlap(box, t) for t in others)
            score += 0 if inside else 1e9
            if best is None or (score, order) < best[:2]:
                best = (score, order, (x, y, anchor), box)
        assert best is not None
        placed.append(best[2])
        labels.append(best[3])
    return placed


def _short(title: str) -> str:
    return title if len(title) <= LABEL_CHARS else title[: LABEL_CHARS - 1].rstrip() + "…"


def _tooltip(p: ModelPoint) -> str:
    said = p.parameters_text or "not disclosed"
    shown = f"{p.title} — released {p.released} — parameters: {said}"
    if p.parameters is not None and count_label(p.parameters) != said:
        shown += f" (plotted at {count_label(p.parameters)})"
    return shown


def _years(first: int, last: int) -> Iterable[int]:
    """The years to label: every one, or every second, fifth... when there are many."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if (last - first) / s <= 10)
    return range(first - first % step + (step if first % step else 0), last + 1, step)


def timeline_svg(points: list[ModelPoint]) -> str:
    """The Models index's chart: release date across, parameter count up on a log scale, models
    whose size is not disclosed in a strip along the bottom; "" when there is no model.

    Each model is a <g class="fmkb-tl-model"> holding a <title> (the browser's tooltip: name,
    release, parameters), its <circle> and a short visible label.
    """
    if not points:
        return ""
    ordered = sorted(points, key=lambda p: (p.when, p.title.casefold(), p.title, p.url))
    known = [p for p in ordered if p.parameters is not None]
    unknown = [p for p in ordered if p.parameters is None]

    plot_top = TOP
    plot_bottom = plot_top + (PLOT_HEIGHT if known else 0.0)
    strip_top = plot_bottom + (GAP if known else 0.0)
    strip_bottom = strip_top + (STRIP_HEIGHT if unknown else 0.0)
    axis_y = strip_bottom if unknown else plot_bottom
    height = axis_y + 24

    first_year = math.floor(min(p.when for p in ordered))
    last_year = math.floor(max(p.when for p in ordered)) + 1  # the end of the last year shown

    def x_of(when: float) -> float:
        return LEFT + INSET + (when - first_year) / (last_year - first_year) * (RIGHT - LEFT - 2 * INSET)

    lo = hi = 0
    if known:
        logs = [math.log10(p.parameters) for p in known if p.parameters is not None]
        lo, hi = math.floor(min(logs)), math.ceil(max(logs))
        hi = max(hi, lo + 1)

    def y_of(count: float) -> float:
        share = (math.log10(count) - lo) / (hi - lo)
        return plot_bottom - INSET - share * (plot_bottom - plot_top - 2 * INSET)

    strip_label_y = strip_top + 12
    strip_y = strip_top + 26
    summary = (
        f"Models by release date and parameter count: {len(ordered)} model{'s' if len(ordered) != 1 else ''}, "
        f"released {first_year} to {last_year - 1}"
        + (f"; {len(unknown)} with parameters not disclosed" if unknown else "")
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fmkb-timeline" role="img" aria-label="{_e(summary)}" '
        f'viewBox="0 0 {WIDTH} {_f(height)}" width="100%" font-size="{FONT}" fill="currentColor">'
    ]

    # the grid and axes
    out.append('<g class="fmkb-tl-grid" fill="none">')
    for year in range(first_year, last_year + 1):
        x = _f(x_of(year))
        out.append(f'<line x1="{x}" y1="{_f(plot_top)}" x2="{x}" y2="{_f(axis_y)}"/>')
    for power in range(lo, hi + 1) if known else ():
        y = _f(y_of(10.0**power))
        out.append(f'<line x1="{_f(LEFT)}" y1="{y}" x2="{_f(RIGHT)}" y2="{y}"/>')
    out.append("</g>")
    if unknown:
        out.append(
            f'<rect class="fmkb-tl-strip" fill="none" x="{_f(LEFT)}" y="{_f(strip_top)}" '
            f'width="{_f(RIGHT - LEFT)}" height="{_f(STRIP_HEIGHT)}"/>'
        )
        out.append(
            f'<text class="fmkb-tl-strip-label" x="{_f(LEFT + 6)}" y="{_f(strip_label_y)}" '
            f'font-size="{LABEL_FONT - 1}">{_e(STRIP_LABEL)}</text>'
        )
    out.append('<g class="fmkb-tl-axis" fill="none" stroke="currentColor">')
    out.append(f'<line x1="{_f(LEFT)}" y1="{_f(axis_y)}" x2="{_f(RIGHT)}" y2="{_f(axis_y)}"/>')
    if known:
        out.append(f'<line x1="{_f(LEFT)}" y1="{_f(plot_top)}" x2="{_f(LEFT)}" y2="{_f(plot_bottom)}"/>')
    out.append("</g>")
    out.append('<g class="fmkb-tl-tick">')
    for year in _years(first_year, last_year - 1):
        out.append(f'<text x="{_f(x_of(year + 0.5))}" y="{_f(axis_y + 16)}" text-anchor="middle">{year}</text>')
    for power in range(lo, hi + 1) if known else ():
        y = _f(y_of(10.0**power) + FONT * 0.35)
        out.append(f'<text x="{_f(LEFT - 6)}" y="{y}" text-anchor="end">{_e(count_label(10.0**power))}</text>')
    out.append("</g>")
    if known:
        middle = _f(-(plot_top + plot_bottom) / 2)
        out.append(
            f'<text class="fmkb-tl-axis-title" transform="rotate(-90)" x="{middle}" y="{_f(FONT)}" '
            f'text-anchor="middle">{_e(AXIS_TITLE)}</text>'
        )

    # the models, in date order: known sizes above, the rest in the strip
    drawn = [*known, *unknown]
    centres = [(x_of(p.when), y_of(p.parameters) if p.parameters is not None else strip_y) for p in drawn]
    texts = [_short(p.title) for p in drawn]
    plot_area = (LEFT + 1, plot_top, RIGHT + 10, plot_bottom)
    strip_area = (LEFT + 1, strip_top + 1, RIGHT + 10, strip_bottom)
    areas = [plot_area if p.parameters is not None else strip_area for p in drawn]
    fixed = [_text_box(LEFT + 6, strip_label_y, "start", STRIP_LABEL, LABEL_FONT - 1)] if unknown else []
    spots = _place_labels(centres, texts, areas, fixed)
    for p, (cx, cy), text, (lx, ly, anchor) in zip(drawn, centres, texts, spots, strict=True):
        kind = "fmkb-tl-point" if p.parameters is not None else "fmkb-tl-point fmkb-tl-undisclosed"
        out.append(
            f'<g class="fmkb-tl-model"><title>{_e(_tooltip(p))}</title>'
            f'<circle class="{kind}" cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(R)}"/>'
            f'<text class="fmkb-tl-label" x="{_f(lx)}" y="{_f(ly)}" text-anchor="{anchor}" '
            f'font-size="{LABEL_FONT}">{_e(text)}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)

"""A small SVG chart kit: a canvas, a plot area with linear and date scales, nice ticks,
money tick labels, legends and markers, written straight as SVG text.

The report's charts are drawn with it instead of matplotlib: importing pyplot and saving
a handful of figures costs over a second, this costs milliseconds. The output is a
standalone SVG document (``xmlns`` declared, valid XML, no external reference) that the
HTML report inlines after :func:`portfolio_sim.report.charts.clean_svg`. Every number is
written with a fixed precision, so the same input gives the same bytes. Every bar and
mark carries a ``<title>`` (the browser's hover text) with the exact value it draws;
labels too long for their room are shortened with "…" and keep the full text in a
``<title>``.

Coordinates are SVG pixels (y grows downwards); the report scales the picture to its
column with CSS (``max-width:100%``), so the canvas width is nominal.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np

from portfolio_sim import formatting as fmt

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
#: Width of an average glyph as a share of the font size (DejaVu Sans is about 0.6 at
#: its widest common glyphs, so labels are sized generously rather than clipped).
CHAR_WIDTH = 0.62
INK = "#222"
GRID = "#e3e3e3"
EPOCH = np.datetime64("1970-01-01T00:00:00", "ns")
ONE_DAY = np.timedelta64(1, "D")


def num(v: float) -> str:
    """A coordinate with one decimal (``"12.5"``, ``"3"``): fixed precision, so output
    is byte-stable, and never ``"-0"``."""
    s = f"{float(v):.1f}".removesuffix(".0")
    return "0" if s == "-0" else s


def esc(s: Any) -> str:
    """Text escaped for XML character data and attribute values."""
    return escape(str(s), quote=True)


def text_width(s: str, size: float) -> float:
    """Estimated width in pixels of ``s`` at font ``size``."""
    return len(s) * size * CHAR_WIDTH


def fit(s: str, width: float, size: float) -> str:
    """``s`` shortened with "…" to about ``width`` pixels at font ``size``."""
    room = int(width / (size * CHAR_WIDTH))
    if len(s) <= room:
        return s
    return s[: max(room - 1, 1)] + "…"


def day_number(x: Any) -> float:
    """Days since 1970-01-01 (fractional) of a date, datetime, Timestamp or
    ``datetime64``; NaN for a missing value."""
    if x is None:
        return math.nan
    if isinstance(x, dt.date) and not isinstance(x, dt.datetime):
        x = dt.datetime(x.year, x.month, x.day)
    try:
        t = np.datetime64(x, "ns")
    except (TypeError, ValueError):
        return math.nan
    if np.isnat(t):
        return math.nan
    return float((t - EPOCH) / ONE_DAY)


def iso_day(day: float) -> str:
    """The ISO date of a day number."""
    return str(np.datetime64(int(math.floor(day)), "D"))


class Scale:
    """A linear map from a data domain ``[lo, hi]`` to pixels ``[r0, r1]``."""

    def __init__(self, lo: float, hi: float, r0: float, r1: float) -> None:
        if not hi > lo:
            lo, hi = lo - 0.5, lo + 0.5
        self.lo, self.hi, self.r0, self.r1 = lo, hi, r0, r1

    def __call__(self, v: float) -> float:
        return self.r0 + (v - self.lo) / (self.hi - self.lo) * (self.r1 - self.r0)


def nice_step(span: float, n: int) -> float:
    """A step of 1, 2 or 5 times a power of ten giving at most about ``n`` ticks."""
    raw = span / max(n, 1)
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * 0.999)


def nice_domain(
    lo: float, hi: float, n: int = 6, min_step: float = 0.0
) -> tuple[float, float, list[float]]:
    """``[lo, hi]`` widened to whole steps (at least ``min_step``: 1 on a money axis, so
    ticks are whole units), and its ticks."""
    if not hi > lo:
        hi = lo + (abs(lo) if lo else 1.0)
    step = max(nice_step(hi - lo, n), min_step)
    a, b = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [round(k * step, 10) for k in range(a, b + 1)]
    return ticks[0], ticks[-1], ticks


def money_labels(ticks: Sequence[float], currency: str) -> list[str]:
    """Tick labels as money with k/M/bn suffixes (:func:`formatting.money_tick`); when
    the short form would make two ticks read the same, whole units with separators.
    Never scientific notation."""
    short = [fmt.money_tick(t, currency) for t in ticks]
    if len(set(short)) == len(short):
        return short
    return [fmt.money(t, currency) for t in ticks]


def count_label(v: float) -> str:
    """A count or plain number with thousands separators, no exponent."""
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def date_ticks(lo: float, hi: float, max_ticks: int) -> list[tuple[float, str]]:
    """Ticks on a date axis from day ``lo`` to day ``hi``: month starts (every 1, 2, 3,
    6 or 12 months, labelled ``2027-03``; yearly ones ``2027``), or days (every 1, 2, 7
    or 14 days, labelled with the ISO date) for spans under about two months."""
    max_ticks = max(max_ticks, 2)
    start = np.datetime64(int(math.floor(lo)), "D")
    if hi - lo <= 62:
        for step in (1, 2, 7, 14, 28):
            if (hi - lo) / step <= max_ticks:
                break
        first = math.ceil(lo / step) * step if step < 7 else math.ceil((lo - 4) / 7) * 7 + 4
        days = np.arange(first, math.floor(hi) + 1, step)
        return [(float(d), iso_day(float(d))) for d in days if lo <= d <= hi]
    months_span = (hi - lo) / 30.44
    step = next((m for m in (1, 2, 3, 6, 12, 24, 60) if months_span / m <= max_ticks), 120)
    m = start.astype("datetime64[M]").astype(int)
    m = math.ceil(m / step) * step  # ticks on whole multiples: Jan, Apr, Jul, Oct, ...
    out = []
    while True:
        month = np.datetime64(int(m), "M")
        d = day_number(month.astype("datetime64[D]"))
        if d > hi:
            break
        if d >= lo:
            out.append((d, str(month)[:4] if step >= 12 else str(month)))
        m += step
    return out


def _attrs(**kw: Any) -> str:
    out = []
    for k, v in kw.items():
        if v is None:
            continue
        name = k.rstrip("_").replace("_", "-")
        out.append(f' {name}="{num(v) if isinstance(v, float) else esc(v)}"')
    return "".join(out)


def _tip(tip: str | None) -> str:
    return f"<title>{esc(tip)}</title>" if tip else ""


class Canvas:
    """An SVG picture built element by element; :meth:`svg` gives the document."""

    def __init__(self, width: float, height: float, title: str = "") -> None:
        self.width, self.height, self.title = width, height, title
        self.parts: list[str] = []
        self.defs: list[str] = []

    def _el(self, tag: str, tip: str | None, attrs: dict[str, Any]) -> None:
        a = _attrs(**attrs)
        self.parts.append(f"<{tag}{a}>{_tip(tip)}</{tag}>" if tip else f"<{tag}{a}/>")

    def rect(
        self, x: float, y: float, w: float, h: float, fill: str, tip: str | None = None, **kw: Any
    ) -> None:
        if w < 0:
            x, w = x + w, -w
        if h < 0:
            y, h = y + h, -h
        self._el(
            "rect",
            tip,
            {
                "x": float(x),
                "y": float(y),
                "width": float(w),
                "height": float(h),
                "fill": fill,
                **kw,
            },
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str,
        tip: str | None = None,
        **kw: Any,
    ) -> None:
        self._el(
            "line",
            tip,
            {
                "x1": float(x1),
                "y1": float(y1),
                "x2": float(x2),
                "y2": float(y2),
                "stroke": stroke,
                **kw,
            },
        )

    def path(self, d: str, tip: str | None = None, **kw: Any) -> None:
        self._el("path", tip, {"d": d, **kw})

    def polyline(self, pts: Sequence[tuple[float, float]], stroke: str, **kw: Any) -> None:
        if pts:
            self.path(points_d(pts), fill="none", stroke=stroke, **kw)

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float = 11,
        anchor: str = "start",
        tip: str | None = None,
        **kw: Any,
    ) -> None:
        """Text whose vertical centre is at ``y``."""
        kw.setdefault("dominant_baseline", "central")
        a = _attrs(x=float(x), y=float(y), font_size=float(size), text_anchor=anchor, **kw)
        self.parts.append(f"<text{a}>{_tip(tip)}{esc(s)}</text>")

    def label(
        self,
        x: float,
        y: float,
        s: str,
        width: float,
        size: float = 11,
        anchor: str = "end",
        **kw: Any,
    ) -> None:
        """Text fitted into ``width`` pixels; a shortened one keeps the full text as its
        hover title."""
        short = fit(s, width, size)
        self.text(x, y, short, size, anchor, tip=s if short != s else None, **kw)

    def open_group(self, tip: str | None = None, **kw: Any) -> None:
        self.parts.append(f"<g{_attrs(**kw)}>{_tip(tip)}")

    def close_group(self) -> None:
        self.parts.append("</g>")

    def svg(self) -> str:
        head = (
            f'<svg xmlns="{SVG_NS}" width="{num(self.width)}" height="{num(self.height)}" '
            f'viewBox="0 0 {num(self.width)} {num(self.height)}" font-family="{FONT}" '
            f'fill="{INK}" role="img">'
        )
        title = f"<title>{esc(self.title)}</title>" if self.title else ""
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        return head + title + defs + "".join(self.parts) + "</svg>\n"


def points_d(pts: Sequence[tuple[float, float]]) -> str:
    """An SVG path ``d`` through the points."""
    return "M" + " L".join(f"{num(x)},{num(y)}" for x, y in pts)


class Plot:
    """A plot area at (``left``, ``top``) of ``width`` x ``height`` pixels on a canvas,
    with an x and a y scale, gridlines, ticks and axis titles."""

    def __init__(
        self,
        c: Canvas,
        left: float,
        top: float,
        width: float,
        height: float,
        x: tuple[float, float] = (0.0, 1.0),
        y: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        self.c, self.left, self.top, self.width, self.height = c, left, top, width, height
        self.right, self.bottom = left + width, top + height
        self.x = Scale(x[0], x[1], left, left + width)
        self.y = Scale(y[0], y[1], top + height, top)

    def frame(self) -> None:
        self.c.rect(
            self.left, self.top, self.width, self.height, "none", stroke="#888", stroke_width=1.0
        )

    def x_axis(
        self,
        ticks: Sequence[tuple[float, str]],
        title: str = "",
        grid: bool = True,
        top_labels: bool = False,
        rotate: bool = False,
    ) -> None:
        """Ticks and labels below the plot (and above it with ``top_labels``), the axis
        title below the labels."""
        c = self.c
        for v, lab in ticks:
            x = self.x(v)
            if grid:
                c.line(x, self.top, x, self.bottom, GRID, class_="grid")
            c.line(x, self.bottom, x, self.bottom + 4, "#888")
            for y, up in ((self.bottom + 6, False), (self.top - 6, True)):
                if up and not top_labels:
                    continue
                if rotate:
                    ty = y - 2 if up else y + 2
                    c.text(
                        x,
                        ty,
                        lab,
                        10,
                        "start" if up else "end",
                        class_="xtick",
                        transform=f"rotate(-35 {num(x)} {num(ty)})",
                        dominant_baseline=None,
                    )
                else:
                    c.text(x, y + (-6 if up else 7), lab, 10, "middle", class_="xtick")
        if title:
            dy = 52 if rotate else 30
            c.text(
                self.left + self.width / 2,
                self.bottom + dy,
                title,
                11,
                "middle",
                class_="axis-title",
            )

    def y_axis(
        self, ticks: Sequence[tuple[float, str]], title: str = "", grid: bool = True
    ) -> None:
        c = self.c
        widest = max((text_width(lab, 10) for _, lab in ticks), default=0)
        for v, lab in ticks:
            y = self.y(v)
            if grid:
                c.line(self.left, y, self.right, y, GRID, class_="grid")
            c.line(self.left - 4, y, self.left, y, "#888")
            c.text(self.left - 6, y, lab, 10, "end", class_="ytick")
        if title:
            x = self.left - widest - 18
            c.text(
                x,
                self.top + self.height / 2,
                title,
                11,
                "middle",
                class_="axis-title",
                transform=f"rotate(-90 {num(x)} {num(self.top + self.height / 2)})",
            )


def title(c: Canvas, s: str, y: float = 16, size: float = 13) -> None:
    """The chart title, centred at the top."""
    c.text(
        c.width / 2,
        y,
        fit(s, c.width - 10, size),
        size,
        "middle",
        font_weight="600",
        class_="chart-title",
        tip=None,
    )


def legend(c: Canvas, x: float, y: float, items: Sequence[tuple[str, str, str]]) -> float:
    """A one-row legend from (``x``, ``y``) (vertical centre): items are (kind, colour,
    label) with kind ``"bar"``, ``"band"``, ``"line"``, ``"dash"``, ``"dot"`` or a marker
    shape of :func:`marker`. Wraps to further rows at the canvas edge; returns the y of
    the last row."""
    x0 = x
    for kind, color, lab in items:
        w = 26 + text_width(lab, 10) + 12
        if x + w > c.width - 4 and x > x0:
            x, y = x0, y + 16
        if kind == "bar":
            c.rect(x, y - 4, 18, 8, color)
        elif kind == "band":
            c.rect(x, y - 6, 18, 12, color, fill_opacity=0.6)
        elif kind in ("line", "dash", "dot"):
            dash = {"line": None, "dash": "6 3", "dot": "2 2"}[kind]
            c.line(x, y, x + 18, y, color, stroke_width=2.0, stroke_dasharray=dash)
        else:
            marker(c, kind, x + 9, y, 10, color)
        c.text(x + 24, y, lab, 10, "start", class_="legend")
        x += w
    return y


def marker(
    c: Canvas, shape: str, x: float, y: float, size: float, color: str, tip: str | None = None
) -> None:
    """A mark centred at (x, y): ``|`` tick, ``x`` cross, ``+`` plus, ``d`` diamond, ``*``
    star, ``1``-``4`` three-armed marks (down, up, left, right), ``v`` triangle down,
    ``o`` circle."""
    h = size / 2
    stroke = {"stroke": color, "stroke_width": 2.0, "fill": "none"}
    if shape == "|":
        c.path(f"M{num(x)},{num(y - h)} V{num(y + h)}", tip, **stroke)
    elif shape == "x":
        k = h * 0.75
        c.path(
            f"M{num(x - k)},{num(y - k)} L{num(x + k)},{num(y + k)} M{num(x - k)},"
            f"{num(y + k)} L{num(x + k)},{num(y - k)}",
            tip,
            **stroke,
        )
    elif shape == "+":
        c.path(
            f"M{num(x - h)},{num(y)} H{num(x + h)} M{num(x)},{num(y - h)} V{num(y + h)}",
            tip,
            **stroke,
        )
    elif shape == "d":
        c.path(
            points_d([(x, y - h), (x + h * 0.7, y), (x, y + h), (x - h * 0.7, y)]) + " Z",
            tip,
            fill=color,
        )
    elif shape == "v":
        c.path(
            points_d([(x - h, y - h * 0.8), (x + h, y - h * 0.8), (x, y + h * 0.8)]) + " Z",
            tip,
            fill=color,
        )
    elif shape == "o":
        c._el("circle", tip, {"cx": float(x), "cy": float(y), "r": float(h * 0.6), "fill": color})
    else:  # "*" and the three-armed marks
        turns = {
            "1": (90, 210, 330),
            "2": (270, 30, 150),
            "3": (180, 300, 60),
            "4": (0, 120, 240),
        }.get(shape, (90, 150, 210, 270, 330, 30))
        d = " ".join(
            f"M{num(x)},{num(y)} L{num(x + h * math.cos(math.radians(a)))},"
            f"{num(y + h * math.sin(math.radians(a)))}"
            for a in turns
        )
        c.path(d, tip, **stroke)


def lerp_color(stops: Sequence[str], t: float) -> str:
    """The colour at ``t`` (0..1) along evenly spaced hex colour ``stops``."""
    t = min(max(float(t), 0.0), 1.0) * (len(stops) - 1)
    i = min(int(t), len(stops) - 2)
    f = t - i
    a = [int(stops[i][k : k + 2], 16) for k in (1, 3, 5)]
    b = [int(stops[i + 1][k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(p + (q - p) * f):02x}" for p, q in zip(a, b, strict=True))


__all__ = [
    "Canvas",
    "Plot",
    "Scale",
    "count_label",
    "date_ticks",
    "day_number",
    "legend",
    "marker",
    "money_labels",
    "nice_domain",
    "title",
]

"""Charts drawn on the server as SVG (no JavaScript): a heat map, stacked bars and lines. Each is
an image with a title and a description (the text summary) for screen readers, who read the
numbers in the table beside it. Colour is never the only carrier of meaning: every heat-map cell
has its number written in it, the DNA bars are hatched as well as red, and the two wait lines
differ in dash and marker and are labelled at their ends. Colours come from the NHS palette and
pass WCAG contrast (text 4.5:1 on its fill, lines and bar edges 3:1 on white: tested)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WHITE = "#ffffff"
TEXT = "#212b32"  # NHS text colour
SECONDARY = "#4c6272"  # NHS secondary text
GRID = "#d8dde0"
BLUE = "#005eb8"
DARK_BLUE = "#003087"
RED = "#d5281b"
GREY = "#425563"
# Heat map bins (share of chairs), light to dark, each with the text colour that reads on it.
BINS: tuple[tuple[int, str, str], ...] = (
    (0, "#f0f4f5", TEXT),
    (20, "#c8dcf0", TEXT),
    (40, "#8cb4e0", TEXT),
    (60, "#2f6fb8", WHITE),
    (80, DARK_BLUE, WHITE),
)
EMPTY_FILL = WHITE


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(one: str, two: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours."""
    hi, lo = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def bin_for(percent: float) -> tuple[str, str]:
    """The fill and text colour of a heat-map cell."""
    fill, ink = BINS[0][1], BINS[0][2]
    for low, f, t in BINS:
        if percent >= low:
            fill, ink = f, t
    return fill, ink


def _text(x: float, y: float, words: str, *, cls: str = "phlebo-chart__label", anchor: str = "middle",
          fill: str = TEXT) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
            f'class="{cls}">{escape(words)}</text>')


def _frame(slug: str, width: int, height: int, title: str, summary: str, body: Sequence[str]) -> Markup:
    # Drawn at its own size (never larger), narrower on a small screen (CSS max-width).
    return Markup(
        f'<svg class="phlebo-chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{slug}-title {slug}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{slug}-title">{escape(title)}</title><desc id="{slug}-desc">{escape(summary)}</desc>'
        + "".join(body) + "</svg>")


@dataclass(frozen=True)
class Grid:
    """Heat-map cells: rows by columns of (percent, words shown), None where nothing was offered."""

    rows: Sequence[str]
    columns: Sequence[str]
    cells: Sequence[Sequence[tuple[float, str] | None]]


def heat_map(slug: str, title: str, summary: str, grid: Grid) -> Markup:
    """A grid of cells shaded by share, each with its number, and a legend of the shades."""
    left, top, cw, ch = 120, 38, 76, 46
    width = max(left + cw * len(grid.columns) + 10, 560)
    height = top + ch * len(grid.rows) + 80
    body = [_text(left + cw * i + cw / 2, top - 12, col) for i, col in enumerate(grid.columns)]
    for r, row in enumerate(grid.rows):
        y = top + ch * r
        body.append(_text(left - 10, y + ch / 2 + 5, row, anchor="end"))
        for c, cell in enumerate(grid.cells[r]):
            x = left + cw * c
            if cell is None:
                body.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" '
                            f'fill="{EMPTY_FILL}" stroke="{GRID}" stroke-dasharray="3 3"/>')
                body.append(_text(x + cw / 2, y + ch / 2 + 5, "–", fill=SECONDARY))
                continue
            fill, ink = bin_for(cell[0])
            body.append(f'<rect x="{x + 1}" y="{y + 1}" width="{cw - 2}" height="{ch - 2}" fill="{fill}"/>')
            body.append(_text(x + cw / 2, y + ch / 2 + 5, cell[1], fill=ink, cls="phlebo-chart__value"))
    legend_y = top + ch * len(grid.rows) + 40
    body.append(_text(left, legend_y - 8, "Share of chairs booked (the number in each square):", anchor="start"))
    x = left
    for n, (low, fill, ink) in enumerate(BINS):
        high = BINS[n + 1][0] - 1 if n + 1 < len(BINS) else None
        words = f"{low}–{high}%" if high is not None else f"{low}%+"
        body.append(f'<rect x="{x}" y="{legend_y}" width="88" height="28" fill="{fill}" stroke="{GRID}"/>')
        body.append(_text(x + 44, legend_y + 20, words, fill=ink))
        x += 92
    body.append(f'<rect x="{x}" y="{legend_y}" width="88" height="28" fill="{EMPTY_FILL}" stroke="{GRID}" '
                'stroke-dasharray="3 3"/>')
    body.append(_text(x + 44, legend_y + 20, "– none", fill=SECONDARY))
    return _frame(slug, max(width, x + 100), height, title, summary, body)


def _nice_top(value: float) -> tuple[float, float]:
    """A round axis top at or above value, and its step (4 to 5 gridlines)."""
    if value <= 0:
        return 4, 1
    step = 10 ** math.floor(math.log10(value / 4))
    for m in (1, 2, 2.5, 5, 10):
        if value / (m * step) <= 5:
            return math.ceil(value / (m * step)) * m * step, m * step
    return value, value / 4  # pragma: no cover - the loop always returns


def _axis(left: int, top: int, plot_w: int, plot_h: int, top_value: float, step: float, unit: str) -> list[str]:
    out = []
    value = 0.0
    while value <= top_value + 1e-9:
        y = top + plot_h - plot_h * value / top_value
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(_text(left - 8, y + 5, f"{value:g}{unit}", anchor="end", fill=SECONDARY))
        value += step
    return out


def stacked_bars(slug: str, title: str, summary: str, labels: Sequence[str],
                 series: Sequence[tuple[str, Sequence[int]]]) -> Markup:
    """Bars of two series stacked (the first solid blue, the second hatched red), labelled on the
    x axis every few bars, with a legend."""
    left, top, plot_w, plot_h = 64, 44, 640, 200
    totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
    top_value, step = _nice_top(max(totals, default=0))
    body = [f'<defs><pattern id="{slug}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{WHITE}"/>'
            f'<rect width="3" height="6" fill="{RED}"/></pattern></defs>']
    body += _axis(left, top, plot_w, plot_h, top_value, step, "")
    slot = plot_w / max(len(labels), 1)
    bar = max(min(slot * 0.7, 28), 1.5)
    fills = [(BLUE, BLUE), (f"url(#{slug}-hatch)", RED)]
    every = max(1, math.ceil(len(labels) / 10))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        base: float = top + plot_h
        for (fill, edge), (_name, values) in zip(fills, series, strict=False):
            h = plot_h * values[i] / top_value
            if h > 0:
                body.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                            f'fill="{fill}" stroke="{edge}" stroke-width="1"/>')
            base -= h
        if i % every == 0:
            body.append(_text(x + bar / 2, top + plot_h + 20, label, fill=SECONDARY))
    x = left
    for (fill, edge), (name, _values) in zip(fills, series, strict=False):
        body.append(f'<rect x="{x}" y="8" width="18" height="18" fill="{fill}" stroke="{edge}"/>')
        body.append(_text(x + 26, 22, name, anchor="start"))
        x += 40 + 9 * len(name)
    return _frame(slug, left + plot_w + 40, top + plot_h + 36, title, summary, body)


def lines(slug: str, title: str, summary: str, labels: Sequence[str],
          series: Sequence[tuple[str, Sequence[int | None]]], unit: str) -> Markup:
    """Up to two lines over the same x labels: the first solid blue with round markers, the
    second dashed dark grey with square markers; each named at its last point and in a legend.
    A gap (None) breaks the line."""
    left, top, plot_w, plot_h = 84, 44, 560, 220
    values = [v for _n, vs in series for v in vs if v is not None]
    top_value, step = _nice_top(max(values, default=0))
    body = _axis(left, top, plot_w, plot_h, top_value, step, unit)
    slot = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        body.append(_text(left + slot * i + slot / 2, top + plot_h + 20, label, fill=SECONDARY))
    styles = [(BLUE, "", "circle"), (GREY, "8 5", "square")]
    x_legend = left
    for (colour, dash, marker), (name, points) in zip(styles, series, strict=False):
        xy = [(left + slot * i + slot / 2, top + plot_h - plot_h * v / top_value) if v is not None else None
              for i, v in enumerate(points)]
        runs: list[list[tuple[float, float]]] = [[]]
        for p in xy:
            if p is None:
                runs.append([])
            else:
                runs[-1].append(p)
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="3"'
                            + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        for p in xy:
            if p is not None:
                body.append(_marker(marker, p[0], p[1], colour))
        last = next((p for p in reversed(xy) if p is not None), None)
        if last is not None:
            body.append(_text(last[0] + 10, last[1] + 5, name, anchor="start", fill=colour))
        body.append(_marker(marker, x_legend + 9, 17, colour))
        body.append(f'<line x1="{x_legend}" x2="{x_legend + 18}" y1="17" y2="17" stroke="{colour}" '
                    f'stroke-width="3"' + (f' stroke-dasharray="{dash}"' if dash else "") + "/>")
        body.append(_text(x_legend + 26, 22, name, anchor="start"))
        x_legend += 40 + 9 * len(name)
    return _frame(slug, left + plot_w + 150, top + plot_h + 36, title, summary, body)


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'
    return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'

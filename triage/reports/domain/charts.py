"""Line charts as plain geometry, drawn as inline SVG by the page: no chart script, nothing from a CDN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_BOTTOM, PAD_TOP = 400, 170, 36, 22, 22, 10


@dataclass(frozen=True, slots=True)
class Line:
    """One series: its name, the SVG polyline points, and the dots where values exist."""

    name: str
    points: str
    dots: tuple[tuple[float, float, str], ...]  # x, y, the value as text (tooltip)


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    lines: tuple[Line, ...]
    x_labels: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    width: int = WIDTH
    height: int = HEIGHT


def line_chart(title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
               low: float | None = None, high: float | None = None, fmt: str = "{:g}") -> Chart:
    """Scale series onto the plot; None values break a line (no invented points).

    Empty series are left out.
    """
    values = [v for vs in series.values() for v in vs if v is not None]
    lo = min(values, default=0.0) if low is None else low
    hi = max(values, default=1.0) if high is None else high
    hi = hi if hi > lo else lo + 1
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return round(PAD_LEFT + i * step, 1), round(PAD_TOP + plot_h * (1 - (v - lo) / (hi - lo)), 1)

    lines = []
    for name, vs in series.items():
        dots = tuple((*xy(i, v), fmt.format(v)) for i, v in enumerate(vs) if v is not None)
        if dots:
            points = " ".join(f"{x},{y}" for i, v in enumerate(vs) if v is not None for x, y in [xy(i, v)])
            lines.append(Line(name, points, dots))
    ticks = tuple((xy(0, lo + (hi - lo) * k / 2)[1], fmt.format(round(lo + (hi - lo) * k / 2, 2)))
                  for k in range(3))
    every = max(1, -(-len(labels) // 8))  # at most eight labels under the axis, so they never overlap
    labelled = tuple((xy(i, lo)[0], label) for i, label in enumerate(labels)
                     if (len(labels) - 1 - i) % every == 0)  # the latest week always
    return Chart(title, tuple(lines), labelled, ticks)

"""Weekly CSAT charts as PNG: a flag's window means with its trend, and the digest's lines."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from statistics import median

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, date2num
from matplotlib.figure import Figure


def _csat_figure(title: str) -> tuple[Figure, Axes]:
    """A small figure with a 1–5 CSAT axis (no pyplot: no global state, thread-safe)."""
    figure = Figure(figsize=(6.4, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_ylim(1, 5.2)
    axes.set_ylabel("mean CSAT (1–5)")
    axes.set_title(title, fontsize=10)
    return figure, axes


def _png(figure: Figure, axes: Axes) -> bytes:
    axes.legend(loc="lower left", fontsize=7, frameon=False)
    axes.tick_params(axis="x", labelsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def trend_line(means: list[float], slope: float) -> list[float]:
    """The Theil-Sen line through window means: the slope with the median intercept."""
    intercept = median(m - slope * i for i, m in enumerate(means))
    return [intercept + slope * i for i in range(len(means))]


def flag_chart_png(
    *, agent: str, windows: list[dict[str, object]], baseline: float, slope: float
) -> bytes:
    """A small PNG: weekly mean CSAT with rating counts, the agent's baseline and the trend."""
    starts = [date.fromisoformat(str(w["start"])) for w in windows]
    means = [float(str(w["mean"])) for w in windows]
    counts = [int(str(w["count"])) for w in windows]
    labels = [f"{d:%d %b}" for d in starts]
    xs = list(range(len(windows)))  # positions, labelled with the week starts
    figure, axes = _csat_figure(f"{agent}: weekly CSAT (numbers are ratings)")
    axes.plot(xs, means, marker="o", color="#1264a3", label="weekly CSAT")
    for x, y, n in zip(xs, means, counts, strict=True):
        axes.annotate(
            f"{n}",
            (x, y),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=7,
            color="#616061",
        )
    if len(means) >= 2:
        axes.plot(
            xs,
            trend_line(means, slope),
            linestyle="--",
            color="#e01e5a",
            label=f"trend {slope:+.2f}/week",
        )
    axes.axhline(baseline, color="#2eb67d", linestyle=":", label=f"own baseline {baseline:.2f}")
    axes.set_xticks(xs, labels)
    return _png(figure, axes)


def weekly_lines_png(title: str, series: Mapping[str, Sequence[tuple[datetime, float]]]) -> bytes:
    """One weekly mean CSAT line per name (the digest's chart)."""
    figure, axes = _csat_figure(title)
    for name, points in series.items():
        axes.plot(
            [date2num(when.astimezone(UTC)) for when, _ in points],
            [mean for _, mean in points],
            marker="o",
            label=name,
        )
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))
    figure.autofmt_xdate()
    return _png(figure, axes)

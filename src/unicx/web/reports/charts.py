"""Plotly figures for the report pages, and their safe embedding as JSON.

The same series keeps the same color on every page (:data:`SERIES`, the ``--s1..--s6``
variables of static/unicx.css); series without a fixed meaning (funnel groups) take the
palette in order. Figures carry their title, axis titles and, with several series, a legend;
numbers use the language's separators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup

# static/unicx.css: --s1 … --s6 (WCAG AA on white).
PALETTE = ("#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#0e7490", "#a16207")
S1, S2, S3, S4, S5, S6 = PALETTE
SERIES = {
    "revenue": S1,
    "active_users": S2,
    "buyers": S3,
    "clicks": S4,
    "served": S5,
    "previous_revenue": S6,
}
# Retention from none to all (white to --s1); lift diverging around 1 (--s2, white, --s1).
SEQUENTIAL = [[0.0, "#ffffff"], [1.0, S1]]
DIVERGING = [[0.0, S2], [0.5, "#ffffff"], [1.0, S1]]
# Behind a heatmap's gaps (no such pair), so a missing cell never reads as lift 1 (white).
NO_PAIR = "#d5dbe3"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'
# Plotly's d3 separators: decimal mark then thousands separator.
SEPARATORS = {"vi": ",.", "en": ".,"}
MAX_BARS = 20
# Whole amounts with the language's thousands separator (1.250.000), not SI (1.25M).
MONEY_TICKS = ",.0f"


def color(series: str, index: int = 0) -> str:
    return SERIES.get(series, PALETTE[index % len(PALETTE)])


def figure(
    traces: Sequence[Any], *, title: str, x: str, y: str, lang: str, **layout: Any
) -> go.Figure:
    """A figure with the dashboard's layout: title, axis titles, legend only when needed."""
    fig = go.Figure(data=list(traces))
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis={"title": {"text": x}, "automargin": True},
        yaxis={"title": {"text": y}, "automargin": True},
        showlegend=len(traces) > 1,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        separators=SEPARATORS.get(lang, ".,"),
        font={"family": FONT, "size": 13, "color": "#1b1f24"},
        margin={"l": 20, "r": 20, "t": 70, "b": 20},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_layout(**layout)
    return fig


def bar(name: str, series: str, x: Sequence[Any], y: Sequence[Any], **kw: Any) -> go.Bar:
    return go.Bar(name=name, x=list(x), y=list(y), marker={"color": color(series)}, **kw)


def to_json(fig: go.Figure) -> Markup:
    """The figure as JSON for a ``<script type="application/json">`` block: every ``<`` is
    escaped, so data (a product named ``</script>``) can never end the block."""
    text = pio.to_json(fig, validate=False, pretty=False)
    assert text is not None
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

"""The report as one self-contained HTML page: weekly trends as inline SVG bar charts (no
scripts, no external assets, so it can be emailed or archived as it is)."""

from html import escape
from typing import Any

from reports.kpis import Report
from reports.text import (
    BREAKDOWN_COLUMNS,
    DELIVERY_COLUMNS,
    SURVEY_LISTS,
    as_table,
    outcomes,
)

BAR, GAP, HEIGHT = 36, 12, 140
STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:0 0 1.5rem}td,th{padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}tr:nth-child(even){background:#f4f4f4}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0}pre{background:#f8f8f8;padding:1rem}
rect{fill:#3b6ea5}text{font-size:11px}
.comments td:last-child{text-align:left;white-space:pre-wrap}"""


def as_html(report: Report) -> str:
    window = report["window"]
    title = f"Escalation report {window['since'][:10]} to {window['until'][:10]}"
    trends = report["trends"]
    # One chart per figure of the breakdown tables, so charts and tables show the same things.
    charts = "".join(chart(name, trends, key, fmt) for name, key, fmt in BREAKDOWN_COLUMNS)
    sections = "".join(
        f"<h2>By {escape(label)}</h2>{table(report[key], label)}"
        for label, key in (
            ("priority", "by_priority"),
            ("category", "by_category"),
            ("level at intake", "by_level"),
            ("week opened", "trends"),
        )
    )
    surveys = "".join(survey_list(title, report[key]) for title, key in SURVEY_LISTS)
    surveys += deliveries(report.get("deliveries", {}))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<h2>Trends by week</h2><div class='charts'>{charts}</div>{sections}{surveys}"
        f"<h2>Summary</h2><pre>{escape(as_table(report))}</pre></body></html>\n"
    )


def chart(name: str, trends: dict[str, dict[str, Any]], key: str, fmt: Any) -> str:
    """One bar per week; a week without a value shows no bar and a dash."""
    values = [(week, figures[key]) for week, figures in trends.items()]
    top = max((v for _, v in values if v is not None), default=0) or 1
    width = max(len(values), 1) * (BAR + GAP) + GAP
    bars = []
    for index, (week, value) in enumerate(values):
        x = GAP + index * (BAR + GAP)
        height = 0 if value is None else round(value / top * (HEIGHT - 40))
        label = "-" if value is None else fmt(value)
        bars.append(
            f"<rect x='{x}' y='{HEIGHT - 20 - height}' width='{BAR}' height='{height}'>"
            f"<title>{escape(week)}: {escape(label)}</title></rect>"
            f"<text x='{x}' y='{HEIGHT - 24 - height}'>{escape(label)}</text>"
            f"<text x='{x}' y='{HEIGHT - 6}'>{escape(week[-3:])}</text>"
        )
    return (
        f"<figure><figcaption>{escape(name)}</figcaption><svg role='img' "
        f"aria-label='{escape(name)} by week' width='{width}' height='{HEIGHT}'>"
        f"{''.join(bars)}</svg></figure>"
    )


def table(groups: dict[str, dict[str, Any]], label: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h, _, _ in BREAKDOWN_COLUMNS)
    rows = "".join(
        f"<tr><td>{escape(name)}</td>"
        + "".join(f"<td>{escape(fmt(g[key]))}</td>" for _, key, fmt in BREAKDOWN_COLUMNS)
        + "</tr>"
        for name, g in groups.items()
    )
    return f"<table><tr><th>{escape(label)}</th>{head}</tr>{rows}</table>"


def survey_list(title: str, answers: list[dict[str, Any]]) -> str:
    """The customers' own words, escaped: a comment is whatever the survey form was sent."""
    heading = f"<h2>{escape(title.capitalize())}: {len(answers)}</h2>"
    if not answers:
        return heading
    rows = "".join(
        f"<tr><td>{escape(a['ticket_id'])}</td><td>{a['score']}/5</td>"
        f"<td>{escape(a['comment'] or '-')}</td></tr>"
        for a in answers
    )
    return (
        f"{heading}<table class='comments'><tr><th>ticket</th><th>score</th><th>comment</th></tr>"
        f"{rows}</table>"
    )


def deliveries(channels: dict[str, dict[str, Any]]) -> str:
    """Delivery outcomes and provider latency by channel (reports/deliveries.py)."""
    head = "".join(f"<th>{escape(h)}</th>" for h, _, _ in DELIVERY_COLUMNS)
    rows = "".join(
        f"<tr><td>{escape(channel)}</td>"
        + "".join(f"<td>{escape(fmt(figures[key]))}</td>" for _, key, fmt in DELIVERY_COLUMNS)
        + f"<td>{escape(outcomes(figures))}</td></tr>"
        for channel, figures in channels.items()
    )
    return (
        f"<h2>Deliveries by channel</h2><table><tr><th>channel</th>{head}"
        f"<th>reported failures</th></tr>{rows}</table>"
    )

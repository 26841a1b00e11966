"""The report as a plain-text table for the terminal."""

from typing import Any

from reports.kpis import Report


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


def score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


BREAKDOWN_COLUMNS = (
    ("tickets", "tickets", str),
    ("escalated", "escalation_rate", percent),
    ("resolved", "resolution_rate", percent),
    ("breached", "sla_breach_rate", percent),
    ("1st resp p50", "first_response_p50_seconds", duration),
    ("resolve p50", "resolution_p50_seconds", duration),
    ("CSAT", "satisfaction_average", score),
)


# The survey lists, shown in every format: (title, report key).
SURVEY_LISTS = (
    ("low satisfaction (manager told)", "low_satisfaction"),
    ("survey comments", "survey_comments"),
)


def share(figures: dict[str, Any]) -> str:
    return f"{percent(figures['rate'])} ({figures['tickets']}/{figures['of']})"


def as_table(report: Report) -> str:
    window = report["window"]
    lines = [
        f"Escalation report {window['since'][:16]} .. {window['until'][:16]} UTC: "
        f"{report['tickets']} tickets opened",
        "",
        f"{'time':<32}{'count':>7}{'p50':>12}{'p90':>12}",
    ]
    times = [
        ("first response", report["first_response_time"]),
        ("first response, business time", report["first_response_business_time"]),
        ("resolution", report["resolution_time"]),
        ("resolution, business time", report["resolution_business_time"]),
        ("escalation (trigger to ack)", report["escalation_time"]),
        *((f"  to L{lv}", v) for lv, v in report["escalation_time_by_level"].items()),
    ]
    for name, figures in times:
        lines.append(
            f"{name:<32}{figures['count']:>7}{duration(figures['p50_seconds']):>12}"
            f"{duration(figures['p90_seconds']):>12}"
        )
    escalations, satisfaction = report["escalations"], report["satisfaction"]
    breaches, kb = report["sla_breaches"], report["knowledge_base"]
    lines += [
        "",
        f"escalation rate     {percent(report['escalation_rate'])}: {escalations['tickets']} "
        f"tickets, {escalations['handoffs']} handoffs, {escalations['repeat_tickets']} escalated "
        f"more than once ({percent(escalations['repeat_rate'])} of escalated)",
        f"resolution rate     {percent(report['resolution_rate'])}; by level: "
        + ", ".join(f"L{lv} {share(v)}" for lv, v in report["resolution_rate_by_level"].items()),
        f"SLA breach rate     {share(breaches['overall'])}; "
        + ", ".join(f"{m} {share(v)}" for m, v in breaches["by_metric"].items()),
        "  by level          "
        + ", ".join(f"L{lv} {share(v)}" for lv, v in breaches["by_level"].items()),
        "  by priority       "
        + ", ".join(f"{p} {share(v)}" for p, v in breaches["by_priority"].items()),
        f"satisfaction        {score(satisfaction['average'])} / 5 from "
        f"{satisfaction['responses']} surveys ({percent(satisfaction['response_rate'])} of "
        "resolved tickets answered)",
        f"knowledge base      {kb['resolutions_citing_an_article']} resolutions cite an article "
        f"({percent(kb['share_of_resolutions'])})"
        + "".join(f"; {slug} {count}" for slug, count in kb["by_article"].items()),
    ]
    for title, key in SURVEY_LISTS:
        answers = report[key]
        lines += ["", f"{title}: {len(answers)}"]
        lines += [f"  {a['ticket_id']} {a['score']}/5: {a['comment'] or '-'}" for a in answers]
    lines += ["", *delivery_lines(report.get("deliveries", {}))]
    for title, key in (
        ("priority", "by_priority"),
        ("category", "by_category"),
        ("level at intake", "by_level"),
        ("week opened", "trends"),
    ):
        lines += ["", *breakdown(title, report[key])]
    return "\n".join(lines) + "\n"


# The delivery table's columns: (heading, key, format); shared with the HTML page.
DELIVERY_COLUMNS = (
    ("notifications", "notifications", str),
    ("sent", "sent", str),
    ("delivered", "delivered", str),
    ("undelivered", "undelivered", str),
    ("failed", "failed", str),
    ("latency p50", "latency_p50_seconds", lambda s: "-" if s is None else f"{s:.1f}s"),
    ("p95", "latency_p95_seconds", lambda s: "-" if s is None else f"{s:.1f}s"),
)


def outcomes(figures: dict[str, Any]) -> str:
    return ", ".join(f"{word} {n}" for word, n in figures["outcomes"].items()) or "-"


def delivery_lines(channels: dict[str, dict[str, Any]]) -> list[str]:
    """Per channel: what the providers took, delivered or lost, and how fast they said so."""
    header = f"{'deliveries':<12}" + "".join(f"{h:>14}" for h, _, _ in DELIVERY_COLUMNS)
    rows = [
        f"{channel:<12}"
        + "".join(f"{fmt(figures[key]):>14}" for _, key, fmt in DELIVERY_COLUMNS)
        + f"  reported: {outcomes(figures)}"
        for channel, figures in channels.items()
    ]
    return [header, *(rows or ["(no notifications)"])]


def breakdown(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    width = max([len(title), *(len(name) for name in groups)]) + 2
    header = f"{title:<{width}}" + "".join(f"{label:>14}" for label, _, _ in BREAKDOWN_COLUMNS)
    rows = [
        f"{name:<{width}}" + "".join(f"{fmt(g[key]):>14}" for _, key, fmt in BREAKDOWN_COLUMNS)
        for name, g in groups.items()
    ]
    return [header, *rows]

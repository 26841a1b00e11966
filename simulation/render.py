"""A comparison as a terminal table, JSON or one self-contained HTML page."""

from html import escape
from typing import Any

from reports.build import in_format
from reports.text import duration
from simulation.compare import Comparison
from simulation.tally import TIMES

LABELS = {
    "breaches.acknowledgment": "breaches: acknowledgment",
    "breaches.response": "breaches: response",
    "escalations.automatic": "escalations from here: automatic",
    "escalations.manual": "escalations from here: manual",
    "handoffs_received": "handoffs received",
    "team.phone": "team pages: phone",
    "team.sms": "team pages: sms",
    "team.email": "team pages: email",
    "team.dashboard": "team pages: dashboard",
    "customer.email": "customer messages: email",
    "customer_updates": "customer updates",
    "reached": "tickets reaching the level",
    "time_to_reach.p50_seconds": "time to reach: median",
    "time_to_reach.p90_seconds": "time to reach: p90",
}
STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}td,th{padding:.2rem .7rem;text-align:right}
th:first-child,td:first-child{text-align:left}th[colspan]{text-align:left;padding-top:1rem}
.more{color:#a33}.fewer{color:#262}"""


def render(comparison: Comparison, output_format: str) -> str:
    """One of reports.build.FORMATS."""
    return in_format(comparison, output_format, as_table, as_html)


def sections(comparison: Comparison) -> list[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """(title, [(figure, its three values)]) for the totals and each cell, leaving out the
    figures that are nothing under both policies."""
    found = [("All tickets", list(comparison["totals"].items()))]
    found += [
        (f"{cell['priority']} at L{cell['level']}", list(cell["figures"].items()))
        for cell in comparison["cells"]
    ]
    return [
        (title, shown)
        for title, figures in found
        if (shown := [(name, v) for name, v in figures if v["current"] or v["proposed"]])
    ]


def value(name: str, number: float | None) -> str:
    if number is None:
        return "-"
    return duration(number) if name in TIMES else f"{number:,.0f}"


def change(name: str, number: float | None) -> str:
    if number is None:
        return "-"
    if number == 0:
        return "0"
    sign = "+" if number > 0 else "-"
    return sign + (duration(abs(number)) if name in TIMES else f"{abs(number):,.0f}")


def minute(instant: str) -> str:
    return instant[:16].replace("T", " ")


def heading(comparison: Comparison) -> list[str]:
    since, until = (minute(comparison["window"][end]) for end in ("since", "until"))
    lines = [
        f"Simulation of {comparison['tickets']:,} tickets opened {since} .. {until} UTC, "
        f"replayed up to {minute(comparison['replayed_until'])} UTC",
        "current: each ticket under the policy it was opened with; "
        f"proposed: {comparison['proposed_policy']}",
    ]
    if comparison["left_out"]:
        lines.append(
            f"left out: {len(comparison['left_out'])} tickets whose category the proposed "
            f"policy does not know ({', '.join(comparison['left_out'][:5])}"
            + (", ...)" if len(comparison["left_out"]) > 5 else ")")
        )
    return lines


def as_table(comparison: Comparison) -> str:
    lines = [*heading(comparison), "", f"{'':<38}{'current':>10}{'proposed':>10}{'change':>10}"]
    for title, figures in sections(comparison):
        lines.append(title)
        lines += [
            f"  {LABELS[name]:<36}{value(name, v['current']):>10}"
            f"{value(name, v['proposed']):>10}{change(name, v['change']):>10}"
            for name, v in figures
        ]
    return "\n".join(lines) + "\n"


def as_html(comparison: Comparison) -> str:
    title = "Escalation policy simulation"
    rows = []
    for section, figures in sections(comparison):
        rows.append(f"<tr><th colspan='4'>{escape(section)}</th></tr>")
        for name, v in figures:
            direction = "" if not v["change"] else ("more" if v["change"] > 0 else "fewer")
            rows.append(
                f"<tr class='{direction}'><td>{escape(LABELS[name])}</td>"
                f"<td>{escape(value(name, v['current']))}</td>"
                f"<td>{escape(value(name, v['proposed']))}</td>"
                f"<td>{escape(change(name, v['change']))}</td></tr>"
            )
    intro = "".join(f"<p>{escape(line)}</p>" for line in heading(comparison))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>{intro}<table><tr><th></th>"
        "<th>current</th><th>proposed</th><th>change</th></tr>"
        f"{''.join(rows)}</table></body></html>\n"
    )

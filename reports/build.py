"""A report from the system of record, in the format asked for."""

import json
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine

from policy.models import EscalationPolicy
from reports.deliveries import delivery_outcomes
from reports.html import as_html
from reports.kpis import Report, build_report
from reports.text import as_table
from store.deliveries import load_deliveries
from store.queries import load_tickets

FORMATS = ("table", "json", "html")
T = TypeVar("T")


def make_report(
    engine: Engine, since: datetime, until: datetime, policy: EscalationPolicy | None = None
) -> Report:
    """The report, with business time counted on policy's calendars (24x7 without one), and the
    delivery outcomes of the notifications created in the window."""
    report = build_report(load_tickets(engine, since, until), since, until, policy)
    report["deliveries"] = delivery_outcomes(load_deliveries(engine, since, until))
    return report


def render(report: Report, output_format: str) -> str:
    return in_format(report, output_format, as_table, as_html)


def in_format(
    value: T, output_format: str, table: Callable[[T], str], html: Callable[[T], str]
) -> str:
    """One of FORMATS: JSON as it is, the others by their renderer."""
    if output_format == "json":
        return json.dumps(value, indent=2) + "\n"
    return html(value) if output_format == "html" else table(value)

"""A report from the system of record, in the format asked for."""

import json
from datetime import datetime

from sqlalchemy import Engine

from policy.models import EscalationPolicy
from reports.html import as_html
from reports.kpis import Report, build_report
from reports.text import as_table
from store.queries import load_tickets

FORMATS = ("table", "json", "html")


def make_report(
    engine: Engine, since: datetime, until: datetime, policy: EscalationPolicy | None = None
) -> Report:
    """The report, with business time counted on policy's calendars (24x7 without one)."""
    return build_report(load_tickets(engine, since, until), since, until, policy)


def render(report: Report, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(report, indent=2) + "\n"
    if output_format == "html":
        return as_html(report)
    return as_table(report)

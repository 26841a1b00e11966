"""The argparse definition of `python -m starter`; flag dests match contract field names."""

import argparse

from contract.signals import EscalationReason
from policy.models import HIGHEST_LEVEL, LOWEST_LEVEL
from reports.build import FORMATS
from starter.cli.payloads import ACTIONS

DESCRIPTION = """Operate support tickets on Temporal.
Connection: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, TEMPORAL_API_KEY;
task queue: TASK_QUEUE; records database (init, report, simulate): DATABASE_URL."""

# argparse does not export the type add_subparsers() returns.
Subparsers = argparse._SubParsersAction

# Actions go through a workflow update so the caller sees the outcome or the rejection.
NO_WAIT_HELP = "send as a fire-and-forget signal instead; the outcome shows up in `status`"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m starter",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "init",
        help="register the search attributes, migrate the records database, index the "
        "knowledge base and create the weekly review schedule (idempotent)",
    )
    _add_open(sub)
    _add_actions(sub)
    _add_status(sub)
    _add_list(sub)
    _add_alerts(sub)
    sub.add_parser("samples", help="open three sample tickets (SAMPLE_TICKETS=0 skips)")
    api = sub.add_parser(
        "api", help="serve the HTTP API (API_HOST, API_PORT, API_KEYS, TWILIO_AUTH_TOKEN)"
    )
    api.add_argument("--openapi", action="store_true", help="print the OpenAPI schema and exit")
    _add_report(sub)
    _add_review(sub)
    _add_simulate(sub)
    return parser


def _add_report(sub: Subparsers) -> None:
    p = sub.add_parser("report", help="escalation KPIs of the tickets opened in a period")
    _add_period(p, "7d")


def _add_period(p: argparse.ArgumentParser, since: str) -> None:
    """The tickets opened in a period, and the output's format."""
    p.add_argument(
        "--since", default=since, help=f"a duration back from now ({since}, 36h) or an ISO date"
    )
    p.add_argument("--until", help="end of the period, same forms (default: now)")
    p.add_argument("--format", choices=FORMATS, default="table", help="default: table")


def _add_simulate(sub: Subparsers) -> None:
    p = sub.add_parser(
        "simulate",
        help="what a proposed policy would have done to the tickets opened in a period, beside "
        "what their own policy did (reads the records database; no Temporal needed)",
    )
    p.add_argument("--policy", required=True, help="the proposed policy file (TOML)")
    _add_period(p, "30d")


def _add_review(sub: Subparsers) -> None:
    p = sub.add_parser(
        "review", help="the weekly escalation review: its next runs, or --now to run it at once"
    )
    p.add_argument("--now", action="store_true", help="build, record and email a review now")
    p.add_argument("--days", type=int, default=7, help="period reviewed, back from now")
    _add_timeout(p)


def _add_open(sub: Subparsers) -> None:
    p = sub.add_parser("open", help="open a ticket (an existing id returns the existing ticket)")
    p.add_argument("--id", help="ticket id, e.g. T-1001 (workflow id ticket-<id>)")
    p.add_argument("--name", help="customer name")
    p.add_argument("--email", help="customer email")
    p.add_argument("--phone", help="customer phone, E.164 (+15551234567)")
    p.add_argument("--subject")
    p.add_argument("--description")
    # No `choices`: TicketInput validates, so the error names the field like any other.
    p.add_argument("--priority", help="P1..P4; assessed from the text when omitted")
    p.add_argument("--category", help="snake_case category from the policy, e.g. password_resets")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--json", help="the TicketInput as a JSON object; flags override fields")
    source.add_argument("--json-file", help="file holding the TicketInput JSON object")


def _add_actions(sub: Subparsers) -> None:
    reasons = ", ".join(reason.value for reason in EscalationReason)
    ack = _action(sub, "ack", "acknowledge the ticket at its current level")
    ack.add_argument("--agent", required=True)

    respond = _action(sub, "respond", "email a response to the customer (or record a note)")
    respond.add_argument("--agent", required=True)
    respond.add_argument("--message", required=True)
    respond.add_argument(
        "--awaiting-customer", action="store_true", help="pause the SLA clocks until they reply"
    )
    respond.add_argument(
        "--internal", action="store_true", help="an agent note: not emailed to the customer"
    )

    attempt = _action(sub, "attempt", "record a resolution attempt")
    attempt.add_argument("--agent", required=True)
    attempt.add_argument("--action", required=True, help="what was tried")
    outcome = attempt.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--succeeded", dest="succeeded", action="store_true", default=None)
    outcome.add_argument("--failed", dest="succeeded", action="store_false")

    escalate = _action(sub, "escalate", "hand the ticket to a higher level")
    escalate.add_argument("--by", required=True)
    escalate.add_argument("--reason", required=True, help=f"one of: {reasons}")
    escalate.add_argument("--note")
    escalate.add_argument("--to-level", type=int, help="target level (default: one up)")
    escalate.add_argument("--customer-impact", help="who is affected and how")
    escalate.add_argument("--root-cause", help="findings so far")
    escalate.add_argument("--next-steps", help="what the receiving level should do next")
    escalate.add_argument("--proposed-solution", help="the fix you propose")
    escalate.add_argument("--expected-resolution", help="when the fix is expected")

    resolve = _action(sub, "resolve", "resolve the ticket (follow-up window starts)")
    resolve.add_argument("--by", required=True)
    resolve.add_argument("--resolution", required=True)
    resolve.add_argument("--article", help="slug of the knowledge-base article that solved it")

    reopen = _action(sub, "reopen", "reopen a resolved ticket")
    reopen.add_argument("--by", required=True)
    reopen.add_argument("--reason", required=True)

    message = _action(sub, "message", "a message from the customer")
    message.add_argument("--message", required=True)
    message.add_argument("--requests-escalation", action="store_true")

    survey = _action(sub, "survey", "the customer's satisfaction survey (closes the ticket)")
    survey.add_argument("--score", type=int, required=True, help="1..5")
    survey.add_argument("--comment")

    priority = _action(sub, "set-priority", "correct the priority, up or down (clocks follow)")
    priority.add_argument("--by", required=True)
    # No `choices`: the contract validates, so the error names the field like any other.
    priority.add_argument("--priority", required=True, help="P1..P4")
    priority.add_argument("--reason", required=True, help="why: shown in the timeline")

    category = _action(sub, "recategorize", "correct the category (one of the policy's)")
    category.add_argument("--by", required=True)
    category.add_argument("--category", required=True, help="snake_case category from the policy")
    category.add_argument("--reason", required=True, help="why: shown in the timeline")

    assign = _action(sub, "assign", "name the agent who owns the ticket")
    assign.add_argument("--by", required=True)
    assign.add_argument("--agent", required=True, help="the new owner")


def _action(sub: Subparsers, command: str, help_text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(command, help=help_text)
    p.set_defaults(ticket_action=ACTIONS[command])
    p.add_argument("ticket_id", metavar="ID", help="ticket id (without the ticket- prefix)")
    p.add_argument("--no-wait", action="store_true", help=NO_WAIT_HELP)
    _add_timeout(p)
    return p


def _add_status(sub: Subparsers) -> None:
    p = sub.add_parser("status", help="show a ticket")
    p.add_argument("ticket_id", metavar="ID")
    p.add_argument("--json", action="store_true", help="print the full record as JSON")
    p.add_argument("--last", type=int, default=5, help="timeline entries to show (default 5)")
    _add_timeout(p)


def _add_timeout(p: argparse.ArgumentParser) -> None:
    # Updates and queries need a worker; without one they would wait forever.
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the ticket to answer (default 30)",
    )


def _add_alerts(sub: Subparsers) -> None:
    p = sub.add_parser("alerts", help="tickets with dashboard alerts (search attribute)")
    p.add_argument("--all", action="store_true", help="closed tickets too")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")


def _add_list(sub: Subparsers) -> None:
    p = sub.add_parser("list", help="list tickets by their search attributes")
    p.add_argument("--priority", help="P1..P4")
    p.add_argument(
        "--level",
        type=int,
        choices=range(LOWEST_LEVEL, HIGHEST_LEVEL + 1),
        help="the support level the ticket is at",
    )
    p.add_argument("--state", help="open, acknowledged, awaiting_customer, resolved, closed")
    p.add_argument("--category")
    p.add_argument("--assignee", help="tickets assigned to this agent")
    p.add_argument("--breached", action="store_true", help="only tickets with a missed SLA")
    p.add_argument("--query", help="extra visibility query, ANDed with the filters")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")

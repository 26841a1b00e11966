"""Turn parsed CLI arguments into the JSON objects TicketWorkflow takes (validated later)."""

import argparse
import json
from pathlib import Path
from typing import Any

from contract.signals import SIGNAL_INPUTS
from starter.cli.errors import USAGE, CliError

# CLI subcommand -> signal/update name; the CLI names are what support agents type.
ACTIONS: dict[str, str] = {
    "ack": "acknowledge",
    "respond": "respond",
    "attempt": "resolution_attempt",
    "escalate": "escalate",
    "resolve": "resolve",
    "reopen": "reopen",
    "message": "customer_message",
    "survey": "survey_response",
    "set-priority": "set_priority",
    "recategorize": "recategorize",
    "assign": "assign",
}


def action_payload(action: str, args: argparse.Namespace) -> dict[str, Any]:
    """The action's fields, read from the flags whose dest is the model's field name.

    Deriving the keys from the contract model keeps CLI and workflow from drifting apart."""
    fields = SIGNAL_INPUTS[action].model_fields
    return {name: getattr(args, name) for name in fields if getattr(args, name, None) is not None}


def ticket_payload(args: argparse.Namespace) -> dict[str, Any]:
    """JSON (if given) as the base, explicit flags on top, so a template file can be reused."""
    fields = _json_source(args)
    customer = dict(fields.get("customer") or {})
    customer.update(_given({"name": args.name, "email": args.email, "phone": args.phone}))
    if customer:
        fields["customer"] = customer
    fields.update(
        _given(
            {
                "ticket_id": args.id,
                "subject": args.subject,
                "description": args.description,
                "priority": args.priority,
                "category": args.category,
            }
        )
    )
    return fields


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _json_source(args: argparse.Namespace) -> dict[str, Any]:
    if args.json is not None:
        return _parse_object(args.json, "--json")
    if args.json_file is not None:
        path = Path(args.json_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise CliError(f"--json-file {path}: cannot read it ({err.strerror})", USAGE) from err
        return _parse_object(text, f"--json-file {path}")
    return {}


def _parse_object(text: str, source: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise CliError(f"{source}: not valid JSON ({err})", USAGE) from err
    if not isinstance(value, dict):
        raise CliError(f"{source}: expected a JSON object, got {type(value).__name__}", USAGE)
    return value

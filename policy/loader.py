"""Read the policy file named by ESCALATION_POLICY (or the shipped one) and validate it."""

import os
import tomllib
from pathlib import Path

from pydantic import ValidationError

from calendars import resolution_context
from policy.contacts import read_contacts, with_contacts
from policy.models import SHIPPED_POLICY_FILE, EscalationPolicy

DEFAULT_POLICY_FILE = SHIPPED_POLICY_FILE


class PolicyError(Exception):
    """The policy file cannot be used; the message names the file and the field."""


def load_policy(
    path: str | Path | None = None, time_scale: float | None = None
) -> EscalationPolicy:
    """Load and validate a policy; durations are divided by time_scale (ESCALATION_TIME_SCALE)."""
    source = Path(path or os.environ.get("ESCALATION_POLICY") or DEFAULT_POLICY_FILE)
    scale = time_scale if time_scale is not None else _time_scale_from_env()
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as err:
        raise PolicyError(f"policy file {source}: cannot read it ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"policy file {source}: not valid TOML ({err})") from err
    try:
        # Holiday sources are expanded here, once: the policy then carries plain dates.
        policy = EscalationPolicy.model_validate(raw, context=resolution_context(source.parent))
    except ValidationError as err:
        raise PolicyError(f"policy file {source}: {describe_validation_error(err)}") from err
    contacts = os.environ.get("CONTACTS_FILE")
    if contacts:
        policy = _with_contacts_file(policy, Path(contacts))
    return policy if scale == 1 else policy.scaled(scale)


def _with_contacts_file(policy: EscalationPolicy, source: Path) -> EscalationPolicy:
    try:
        return with_contacts(policy, read_contacts(source))
    except OSError as err:
        raise PolicyError(f"contacts file {source}: cannot read it ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"contacts file {source}: not valid TOML ({err})") from err
    except ValidationError as err:
        raise PolicyError(f"contacts file {source}: {describe_validation_error(err)}") from err


def describe_validation_error(err: ValidationError) -> str:
    """One line per problem, each starting with the dotted field path."""
    problems = []
    for error in err.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        problems.append(f"{field}: {error['msg']}")
    return "; ".join(problems)


def _time_scale_from_env() -> float:
    raw = os.environ.get("ESCALATION_TIME_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        raise PolicyError(f"ESCALATION_TIME_SCALE: {raw!r} is not a number") from None
    if scale <= 0:
        raise PolicyError(f"ESCALATION_TIME_SCALE: must be positive, got {raw!r}")
    return scale

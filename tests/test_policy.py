"""The policy file: the seed's numbers, validation that names the field, time scaling."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from policy import PolicyError, load_policy
from policy.loader import DEFAULT_POLICY_FILE

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_policy_holds_the_procedures_numbers():
    policy = load_policy(DEFAULT_POLICY_FILE, time_scale=1)
    windows = {
        n: (level.acknowledge_within, level.respond_within) for n, level in policy.levels.items()
    }
    assert windows == {
        1: (timedelta(hours=2), timedelta(hours=24)),
        2: (timedelta(hours=1), timedelta(hours=4)),
        3: (timedelta(minutes=15), timedelta(hours=2)),
        4: (None, timedelta(hours=1)),
    }
    assert {p: r.respond_within for p, r in policy.priorities.items()} == {
        "P1": timedelta(minutes=15),
        "P2": timedelta(hours=1),
        "P3": timedelta(hours=4),
        "P4": timedelta(hours=24),
    }
    targets = {p: (r.escalate_to_level, r.escalate_within) for p, r in policy.priorities.items()}
    assert targets == {
        "P1": (4, timedelta(0)),
        "P2": (3, timedelta(hours=2)),
        "P3": (2, timedelta(hours=24)),
        "P4": (1, timedelta(0)),
    }
    assert {p: r.channels for p, r in policy.priorities.items()} == {
        "P1": ["phone", "email", "dashboard"],
        "P2": ["email", "dashboard"],
        "P3": ["email"],
        "P4": ["email"],
    }
    assert policy.customer_update_every == timedelta(hours=4)
    assert policy.failed_attempt_limit == 2
    # the seed's critical keywords (outage, down, broken) are read by triage, not matched alone
    assert {"outage", "down"} <= set(policy.triage.signals["outage"].phrases)
    assert "broken" in policy.triage.signals["failure"].phrases
    assert policy.category_level("password_resets") == 1
    assert policy.category_level("security_vulnerabilities") == 4
    assert policy.templates[2].subject == "Escalation to Level 2 - [Issue Type] - Ticket #[ID]"


def test_time_scale_divides_every_duration():
    policy = load_policy(DEFAULT_POLICY_FILE, time_scale=3600)
    assert policy.levels[1].respond_within == timedelta(seconds=24)
    assert policy.priorities["P1"].respond_within == timedelta(seconds=0.25)
    assert policy.follow_up_window == timedelta(days=7) / 3600


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_POLICY_FILE.read_text()
    assert old in text
    path = tmp_path / "policy.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('respond_within = "24h"', 'respond_within = "soon"', "levels.1.respond_within"),
        ('channels = ["email"]', 'channels = ["pigeon"]', "priorities.P3.channels.0"),
        ("failed_attempt_limit = 2", "failed_attempt_limit = 0", "failed_attempt_limit"),
        ("escalate_to_level = 3", "escalate_to_level = 7", "priorities.P2.escalate_to_level"),
        ("Ticket #[ID]", "Ticket #[Ticket Number]", "templates.2"),
        ('"password_resets",', '"password_resets", "system_outages",', "levels.3.categories"),
        ("[levels.4]", "[levels.9]", "levels.9"),
        ('"outage", "down",', '"outage", "* down",', "triage.signals.outage.phrases.1"),
        ("reach = 6", "reach = 0", "triage.cues.reach"),
        ('question_priority = "P4"', 'question_priority = "P5"', "triage.question_priority"),
        ("[triage.signals.defect]", "[triage.signals.Defect]", "triage.signals"),
        # Zero would re-arm a re-alert or a customer update at the same instant, for ever.
        ('respond_within = "1h"\nescalate', 'respond_within = "0m"\nescalate', "priorities.P2"),
        ('customer_update_every = "4h"', 'customer_update_every = "immediate"', "customer_update"),
        ("call_retries = 2", "call_retries = 9", "delivery.call_retries"),
        ('call_retry_after = "1m"', 'call_retry_after = "0s"', "delivery.call_retry_after"),
        (
            'call_retry_on = ["no-answer",',
            'call_retry_on = ["voicemail",',
            "delivery.call_retry_on.0",
        ),
    ],
)
def test_a_bad_policy_file_is_refused_naming_the_field(tmp_path, old, new, field):
    with pytest.raises(PolicyError) as refusal:
        load_policy(_broken(tmp_path, old, new), time_scale=1)
    assert field in str(refusal.value)


def test_bad_time_scale_is_refused(monkeypatch):
    monkeypatch.setenv("ESCALATION_TIME_SCALE", "fast")
    with pytest.raises(PolicyError, match="ESCALATION_TIME_SCALE"):
        load_policy(DEFAULT_POLICY_FILE)


def test_the_worker_stops_at_start_on_a_bad_policy_file(tmp_path):
    path = _broken(tmp_path, 'respond_within = "15m"', 'respond_within = "-"')
    result = subprocess.run(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env={**os.environ, "ESCALATION_POLICY": str(path), "TEMPORAL_ADDRESS": "127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "priorities.P1.respond_within" in result.stderr


def test_delivery_limits_come_from_the_policy():
    delivery = load_policy(DEFAULT_POLICY_FILE, time_scale=1).delivery
    assert (delivery.sms_per_window, delivery.calls_per_window) == (5, 3)
    assert delivery.throttle_window == timedelta(minutes=15)
    assert delivery.http_timeout_seconds < delivery.attempt_timeout_seconds


def test_a_delivery_attempt_shorter_than_the_http_timeout_is_refused(tmp_path: Path):
    text = DEFAULT_POLICY_FILE.read_text().replace(
        "attempt_timeout_seconds = 30", "attempt_timeout_seconds = 5"
    )
    bad = tmp_path / "policy.toml"
    bad.write_text(text)
    with pytest.raises(PolicyError, match=r"delivery: Value error, attempt_timeout_seconds"):
        load_policy(bad, time_scale=1)


def test_a_contacts_file_replaces_the_on_call_contacts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    contacts = tmp_path / "contacts.toml"
    contacts.write_text(
        '[levels.4]\nemail = "night@example.com"\nphone = "+15557770004"\n'
        'manager = { email = "boss@example.com" }\n'
    )
    monkeypatch.setenv("CONTACTS_FILE", str(contacts))
    policy = load_policy(DEFAULT_POLICY_FILE, time_scale=1)
    assert (policy.levels[4].contacts.email, policy.levels[4].contacts.phone) == (
        "night@example.com",
        "+15557770004",
    )
    assert policy.levels[4].manager and policy.levels[4].manager.email == "boss@example.com"
    assert policy.levels[1].contacts.email == "l1-oncall@support.example.com"  # untouched


def test_a_bad_contacts_file_names_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    contacts = tmp_path / "contacts.toml"
    contacts.write_text('[levels.2]\nemail = "l2@example.com"\nphone = "555-0100"\n')
    monkeypatch.setenv("CONTACTS_FILE", str(contacts))
    with pytest.raises(PolicyError, match=r"contacts file .*: levels\.2\.phone: String should"):
        load_policy(DEFAULT_POLICY_FILE, time_scale=1)

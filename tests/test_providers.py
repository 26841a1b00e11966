"""Provider settings and the SDK-level classification of failures, without Temporal: the real
sendgrid and twilio SDKs against the fake server or a closed port."""

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from activities.messages import OutgoingMessage
from activities.provider_errors import Outcome, ProviderFailure, retry_after
from activities.provider_settings import (
    ProviderSettings,
    SendGridSettings,
    SettingsError,
    TwilioSettings,
)
from activities.sendgrid_email import SendGridEmail
from activities.twilio_phone import LOOKUP_PAGE, TwilioPhone
from tests.conftest import ROOT
from tests.fake_providers import FakeProviders, Fault, sendgrid_error

PROVIDER_VARS = (
    "SENDGRID_API_KEY",
    "SENDGRID_FROM_EMAIL",
    "SENDGRID_API_HOST",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_API_BASE_URL",
    "API_PUBLIC_URL",
)


def message(channel: str = "email", recipient: str = "ada@example.com") -> OutgoingMessage:
    return OutgoingMessage(
        notification_id="T-1:2:acknowledgment:L1:email:customer",
        ticket_id="T-1",
        channel=channel,
        audience="customer",
        recipient=recipient,
        kind="acknowledgment",
        level=1,
        priority="P3",
        subject="We received your request",
        body="Hello",
    )


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROVIDER_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_credentials_every_channel_is_the_outbox(clean_env: pytest.MonkeyPatch):
    settings = ProviderSettings.from_env()
    assert (settings.sendgrid, settings.twilio) == (None, None)
    assert settings.channels()["phone"] == "outbox (no credentials)"


def test_sendgrid_alone_makes_only_email_live_and_hides_the_key(clean_env: pytest.MonkeyPatch):
    clean_env.setenv("SENDGRID_API_KEY", "SG.secret")
    clean_env.setenv("SENDGRID_FROM_EMAIL", "support@example.com")
    clean_env.setenv("SENDGRID_API_HOST", "")  # compose passes unset settings as empty strings
    settings = ProviderSettings.from_env()
    assert settings.channels() == {
        "email": "SendGrid",
        "sms": "outbox (no credentials)",
        "phone": "outbox (no credentials)",
        "dashboard": "ticket status",
    }
    assert settings.sendgrid and settings.sendgrid.host == "https://api.sendgrid.com"
    assert "SG.secret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "555"},
            "TWILIO_FROM_NUMBER: '555' is not an E.164 number",
        ),
        ({"SENDGRID_API_KEY": "k", "SENDGRID_FROM_EMAIL": "nobody"}, "SENDGRID_FROM_EMAIL"),
        ({"API_PUBLIC_URL": "support.example.com"}, "API_PUBLIC_URL"),
    ],
)
def test_unusable_provider_settings_are_refused_naming_the_variable(
    clean_env: pytest.MonkeyPatch, env: dict[str, str], named: str
):
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(SettingsError, match=named):
        ProviderSettings.from_env()


def test_incomplete_twilio_settings_keep_sms_and_calls_in_the_outbox_with_a_warning(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    clean_env.setenv("TWILIO_AUTH_TOKEN", "t")  # the API alone verifies webhooks with it
    settings = ProviderSettings.from_env()
    assert settings.twilio is None and settings.channels()["phone"] == "outbox (no credentials)"
    assert "TWILIO_ACCOUNT_SID, TWILIO_FROM_NUMBER not set" in caplog.text


def test_the_worker_stops_at_start_on_a_bad_sender_number():
    env = {k: v for k, v in os.environ.items() if k not in PROVIDER_VARS}
    result = subprocess.run(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env={
            **env,
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_FROM_NUMBER": "555-0100",
            "TEMPORAL_ADDRESS": "127.0.0.1:1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TWILIO_FROM_NUMBER: '555-0100' is not an E.164 number" in result.stderr


def test_no_connection_means_not_sent_for_both_sdks(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    url = closed_port_url()
    email = SendGridEmail(SendGridSettings("k", "support@example.com", url), timeout=1)
    phone = TwilioPhone(TwilioSettings("AC1", "t", "+15550009999", url), 1, None)
    for sender, msg in ((email, message()), (phone, message("sms", "+15551234567"))):
        with pytest.raises(ProviderFailure) as failure:
            sender.send(msg)
        assert failure.value.outcome == Outcome.RETRY, failure.value.message


def test_sendgrid_read_timeout_is_ambiguous_and_a_400_is_permanent_with_its_message(
    fake: FakeProviders,
):
    settings = fake.settings()
    assert settings.sendgrid
    email = SendGridEmail(settings.sendgrid, timeout=0.3)
    fake.script("email", Fault(202, hang=1.0), sendgrid_error(400, "Invalid from address"))
    with pytest.raises(ProviderFailure) as timeout:
        email.send(message())
    assert timeout.value.outcome == Outcome.AMBIGUOUS
    with pytest.raises(ProviderFailure) as refused:
        email.send(message())
    assert refused.value.outcome == Outcome.PERMANENT
    assert refused.value.message == "sendgrid HTTP 400: Invalid from address"
    assert email.send(message()).startswith("sg")  # the X-Message-Id of the accepted one


def test_retry_after_reads_seconds_http_dates_and_sendgrid_reset_times():
    assert retry_after({"Retry-After": "7"}) == 7
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 < (retry_after({"retry-after": soon}) or 0) <= 30
    assert 40 < (retry_after({"X-RateLimit-Reset": str(int(time.time()) + 45)}) or 0) <= 45
    assert retry_after({}) is None


def test_twilio_lookup_lists_our_calls_and_same_text_sms_to_the_recipient_since_a_time(
    fake: FakeProviders,
):
    settings = fake.settings()
    assert settings.twilio
    phone = TwilioPhone(settings.twilio, 1, settings.public_api_url)
    page, text, other_text = (
        message("phone", "+15551234567"),
        message("sms", "+15551234567"),
        message("sms", "+15551234567").model_copy(update={"body": "Another ticket"}),
    )
    before = datetime.now(UTC) - timedelta(seconds=5)
    calls = [phone.send(page) for _ in range(LOOKUP_PAGE + 2)]  # more than one page
    same, _, elsewhere = (
        phone.send(text),
        phone.send(other_text),
        phone.send(message("sms", "+15557654321")),
    )
    assert phone.sent_since(page, before) == calls
    assert phone.sent_since(text, before) == [same]
    assert phone.sent_since(message("sms", "+15557654321"), before) == [elsewhere]
    assert phone.sent_since(page, datetime.now(UTC) + timedelta(seconds=2)) == []
    # Twilio's records carry no status-callback URL: only the sent form has it
    [sms] = [r for r in fake.accepted("sms") if r.provider_id == same]
    assert sms.payload["StatusCallback"].endswith(
        "/webhooks/twilio/status?notification_id=T-1%3A2%3Aacknowledgment%3AL1%3Aemail%3Acustomer"
    )

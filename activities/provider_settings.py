"""Provider credentials and endpoints from the environment; a channel without them is not live."""

import os
from dataclasses import dataclass, field

SENDGRID_DEFAULT_HOST = "https://api.sendgrid.com"
TWILIO_DEFAULT_BASE_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class SendGridSettings:
    api_key: str = field(repr=False)
    from_email: str
    host: str = SENDGRID_DEFAULT_HOST


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str = field(repr=False)
    from_number: str
    base_url: str = TWILIO_DEFAULT_BASE_URL


@dataclass(frozen=True)
class ProviderSettings:
    sendgrid: SendGridSettings | None = None
    twilio: TwilioSettings | None = None
    # Where Twilio reaches this service: call status and the "press 1" acknowledgment.
    callback_base_url: str | None = None

    @classmethod
    def from_env(cls) -> "ProviderSettings":
        return cls(
            sendgrid=_sendgrid_from_env(),
            twilio=_twilio_from_env(),
            callback_base_url=_value(os.environ.get("CALLBACK_BASE_URL")),
        )

    def channels(self) -> dict[str, str]:
        """Each channel and where it goes: the provider or the local outbox."""
        email = "SendGrid" if self.sendgrid else "outbox (no credentials)"
        phone = "Twilio" if self.twilio else "outbox (no credentials)"
        return {"email": email, "sms": phone, "phone": phone, "dashboard": "ticket status"}


def _value(raw: str | None) -> str | None:
    # Compose passes unset settings as empty strings: empty means unset.
    return (raw or "").strip() or None


def _sendgrid_from_env() -> SendGridSettings | None:
    key, sender = (
        _value(os.environ.get("SENDGRID_API_KEY")),
        _value(os.environ.get("SENDGRID_FROM_EMAIL")),
    )
    if not (key and sender):
        return None
    return SendGridSettings(
        key, sender, _value(os.environ.get("SENDGRID_API_HOST")) or SENDGRID_DEFAULT_HOST
    )


def _twilio_from_env() -> TwilioSettings | None:
    sid, token = (
        _value(os.environ.get("TWILIO_ACCOUNT_SID")),
        _value(os.environ.get("TWILIO_AUTH_TOKEN")),
    )
    number = _value(os.environ.get("TWILIO_FROM_NUMBER"))
    if not (sid and token and number):
        return None
    base = _value(os.environ.get("TWILIO_API_BASE_URL")) or TWILIO_DEFAULT_BASE_URL
    return TwilioSettings(sid, token, number, base)

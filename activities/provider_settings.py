"""Provider credentials and endpoints from the environment; a channel without them is not live."""

import logging
import os
import re
from dataclasses import dataclass, field

from contract.tickets import E164_PATTERN, EMAIL_PATTERN

log = logging.getLogger(__name__)

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
    # The HTTP API as Twilio reaches it: the "press 1" acknowledgment of a phone page.
    public_api_url: str | None = None

    @classmethod
    def from_env(cls) -> "ProviderSettings":
        """Raises SettingsError naming the variable when a setting is unusable."""
        return cls(
            sendgrid=_sendgrid_from_env(),
            twilio=_twilio_from_env(),
            public_api_url=_url("API_PUBLIC_URL", _value(os.environ.get("API_PUBLIC_URL")), None),
        )

    def channels(self) -> dict[str, str]:
        """Each channel and where it goes: the provider or the local outbox."""
        email = "SendGrid" if self.sendgrid else "outbox (no credentials)"
        phone = "Twilio" if self.twilio else "outbox (no credentials)"
        return {"email": email, "sms": phone, "phone": phone, "dashboard": "ticket status"}


class SettingsError(ValueError):
    """A provider setting is unusable; the message names the variable."""


def _value(raw: str | None) -> str | None:
    # Compose passes unset settings as empty strings: empty means unset.
    return (raw or "").strip() or None


def _complete(values: dict[str, str | None]) -> dict[str, str] | None:
    """All set: the values. Otherwise None: the channel stays in the outbox, with a warning
    naming what is missing when only some are set (the API alone may use TWILIO_AUTH_TOKEN)."""
    missing = [name for name, value in values.items() if value is None]
    if not missing:
        return {name: str(value) for name, value in values.items()}
    if len(missing) < len(values):
        log.warning("%s not set: that provider's channels stay in the outbox", ", ".join(missing))
    return None


def _checked(name: str, value: str, pattern: str, expected: str) -> str:
    if not re.fullmatch(pattern, value):
        raise SettingsError(f"{name}: {value!r} is not {expected}")
    return value


def _url(name: str, value: str | None, default: str | None) -> str | None:
    if value is None:
        return default
    return _checked(name, value, r"https?://[^\s/]+(/\S*)?", "an http(s) URL").rstrip("/")


def _sendgrid_from_env() -> SendGridSettings | None:
    given = _complete(
        {
            "SENDGRID_API_KEY": _value(os.environ.get("SENDGRID_API_KEY")),
            "SENDGRID_FROM_EMAIL": _value(os.environ.get("SENDGRID_FROM_EMAIL")),
        }
    )
    host = _url(
        "SENDGRID_API_HOST", _value(os.environ.get("SENDGRID_API_HOST")), SENDGRID_DEFAULT_HOST
    )
    if given is None:
        return None
    sender = _checked(
        "SENDGRID_FROM_EMAIL", given["SENDGRID_FROM_EMAIL"], EMAIL_PATTERN, "an email address"
    )
    return SendGridSettings(given["SENDGRID_API_KEY"], sender, str(host))


def _twilio_from_env() -> TwilioSettings | None:
    given = _complete(
        {
            "TWILIO_ACCOUNT_SID": _value(os.environ.get("TWILIO_ACCOUNT_SID")),
            "TWILIO_AUTH_TOKEN": _value(os.environ.get("TWILIO_AUTH_TOKEN")),
            "TWILIO_FROM_NUMBER": _value(os.environ.get("TWILIO_FROM_NUMBER")),
        }
    )
    base = _url(
        "TWILIO_API_BASE_URL",
        _value(os.environ.get("TWILIO_API_BASE_URL")),
        TWILIO_DEFAULT_BASE_URL,
    )
    if given is None:
        return None
    number = _checked(
        "TWILIO_FROM_NUMBER",
        given["TWILIO_FROM_NUMBER"],
        E164_PATTERN,
        "an E.164 number like +15555550100",
    )
    return TwilioSettings(
        given["TWILIO_ACCOUNT_SID"], given["TWILIO_AUTH_TOKEN"], number, str(base)
    )

"""Settings of the HTTP API, read once from the environment."""

import os
from dataclasses import dataclass, field

from channel.settings import ChannelSettings

DEFAULT_PORT = 8000
# Larger than any valid body (descriptions allow 20,000 characters, up to 4 bytes each).
MAX_BODY_BYTES = 256 * 1024
# SendGrid parses messages of up to 30 MB, attachments included: any of them gets in.
INBOUND_MAX_BYTES = 32 * 1024 * 1024
INBOUND_DEFAULT_USER = "sendgrid"


@dataclass(frozen=True)
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    api_keys: tuple[str, ...] = ()
    twilio_auth_token: str = ""
    # The address Twilio calls (behind a proxy the request's own URL differs, and the
    # signature covers the exact URL Twilio used).
    public_url: str = ""
    max_body_bytes: int = MAX_BODY_BYTES
    # The customer channel (reply tokens, survey links); None: off.
    channel: ChannelSettings | None = None
    # The HTTP Basic credentials SendGrid sends with each parsed email (they are in the URL
    # SendGrid is given); no password: the inbound webhook is off.
    inbound_user: str = INBOUND_DEFAULT_USER
    inbound_password: str = field(default="", repr=False)
    inbound_max_bytes: int = INBOUND_MAX_BYTES
    # SendGrid's Event Webhook verification key (base64 DER, as SendGrid shows it); none: off.
    sendgrid_event_public_key: str = ""


def parse_keys(raw: str) -> tuple[str, ...]:
    """Comma- or whitespace-separated keys; empties dropped."""
    return tuple(key for key in raw.replace(",", " ").split() if key)


def _positive(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name}: {raw!r} is not a positive number of bytes")
    return int(raw)


def settings_from_env() -> ApiSettings:
    """Raises ValueError naming the variable when a setting is unusable."""
    port = os.environ.get("API_PORT") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"API_PORT: {port!r} is not a port number")
    return ApiSettings(
        host=os.environ.get("API_HOST") or "127.0.0.1",
        port=int(port),
        api_keys=parse_keys(os.environ.get("API_KEYS", "")),
        twilio_auth_token=os.environ.get("TWILIO_AUTH_TOKEN", ""),
        public_url=(os.environ.get("API_PUBLIC_URL") or "").rstrip("/"),
        channel=ChannelSettings.from_env(),
        inbound_user=os.environ.get("SENDGRID_INBOUND_USER") or INBOUND_DEFAULT_USER,
        inbound_password=os.environ.get("SENDGRID_INBOUND_PASSWORD", ""),
        inbound_max_bytes=_positive("SENDGRID_INBOUND_MAX_BYTES", INBOUND_MAX_BYTES),
        sendgrid_event_public_key=(os.environ.get("SENDGRID_EVENT_PUBLIC_KEY") or "").strip(),
    )

"""Settings of the HTTP API, read once from the environment."""

import os
from dataclasses import dataclass

DEFAULT_PORT = 8000
# Larger than any valid body (descriptions allow 20,000 characters, up to 4 bytes each).
MAX_BODY_BYTES = 256 * 1024


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


def parse_keys(raw: str) -> tuple[str, ...]:
    """Comma- or whitespace-separated keys; empties dropped."""
    return tuple(key for key in raw.replace(",", " ").split() if key)


def settings_from_env() -> ApiSettings:
    port = os.environ.get("API_PORT") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"API_PORT: {port!r} is not a port number")
    return ApiSettings(
        host=os.environ.get("API_HOST") or "127.0.0.1",
        port=int(port),
        api_keys=parse_keys(os.environ.get("API_KEYS", "")),
        twilio_auth_token=os.environ.get("TWILIO_AUTH_TOKEN", ""),
        public_url=(os.environ.get("API_PUBLIC_URL") or "").rstrip("/"),
    )

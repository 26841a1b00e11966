"""The channel's settings from the environment; without CHANNEL_SECRET the channel is off."""

import os
import re
from dataclasses import dataclass

from channel.tokens import MIN_SECRET_CHARS, TokenKeys

# A host name as DNS allows it (letters, digits, hyphens; dot-separated labels).
DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
PUBLIC_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


class ChannelSettingsError(ValueError):
    """A channel setting is unusable; the message names the variable."""


@dataclass(frozen=True)
class ChannelSettings:
    keys: TokenKeys
    # Where SendGrid Inbound Parse receives mail: reply-to addresses are support+<token>@ here.
    inbound_domain: str | None = None
    # The HTTP API's public base URL: survey links are <public_url>/survey/<token>.
    public_url: str | None = None

    @classmethod
    def from_env(cls) -> "ChannelSettings | None":
        """None when CHANNEL_SECRET is unset; raises ChannelSettingsError for unusable values."""
        secret = _value("CHANNEL_SECRET")
        if secret is None:
            return None
        previous = _value("CHANNEL_SECRET_PREVIOUS")
        try:
            keys = TokenKeys.from_secrets(secret, *([previous] if previous else []))
        except ValueError:
            raise ChannelSettingsError(
                f"CHANNEL_SECRET, CHANNEL_SECRET_PREVIOUS: {MIN_SECRET_CHARS} characters or more "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            ) from None
        domain = _value("CHANNEL_INBOUND_DOMAIN")
        if domain is not None and not DOMAIN.fullmatch(domain.lower()):
            raise ChannelSettingsError(f"CHANNEL_INBOUND_DOMAIN: {domain!r} is not a host name")
        url = _value("API_PUBLIC_URL")
        if url is not None and not PUBLIC_URL.fullmatch(url):
            raise ChannelSettingsError(f"API_PUBLIC_URL: {url!r} is not an http(s) URL")
        return cls(keys, domain.lower() if domain else None, url.rstrip("/") if url else None)


def describe(settings: ChannelSettings | None) -> str:
    """One line for the start-up log: what the channel does, or why it is off."""
    if settings is None:
        return (
            "customer channel off: CHANNEL_SECRET is not set (emails carry no reply-to token or "
            "survey link; /webhooks/sendgrid/inbound and /survey answer 503)"
        )
    replies = (
        f"replies to support+<token>@{settings.inbound_domain}"
        if settings.inbound_domain
        else "replies off (CHANNEL_INBOUND_DOMAIN not set)"
    )
    surveys = (
        f"survey links {settings.public_url}/survey/<token>"
        if settings.public_url
        else "survey links off (API_PUBLIC_URL not set)"
    )
    return f"customer channel on: {replies}; {surveys}"


def _value(name: str) -> str | None:
    # Compose passes unset settings as empty strings: empty means unset.
    return (os.environ.get(name) or "").strip() or None

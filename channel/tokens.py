"""Per-ticket tokens that cannot be guessed: the ticket id and an expiry, signed with HMAC-SHA256.

A token is lower-case base32 (it lives in email local parts, which some servers fold to lower
case) of `tag ‖ expiry ‖ ticket id`: the tag is the first 80 bits of HMAC-SHA256 over the purpose
and the rest, so a reply-to token is never a survey token and no field can be changed unseen.
Nothing is stored: any API replica with the key verifies any token."""

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

TAG_BYTES = 10  # 80 bits: every guess costs a request, so 2**80 of them are out of reach
EXPIRY = struct.Struct(">I")  # seconds since 1970 (until 2106); 0: the token does not expire
NEVER = 0
MIN_SECRET_CHARS = 32


class Purpose(StrEnum):
    REPLY = "reply"  # the Reply-To address of emails to the customer
    SURVEY = "survey"  # the satisfaction survey link


class TokenInvalid(ValueError):
    """Not a token this service issued for this purpose (forged, damaged or another key)."""


class TokenExpired(ValueError):
    """A genuine token past its expiry."""

    def __init__(self, ticket_id: str, expired_at: datetime) -> None:
        super().__init__(f"token of ticket {ticket_id} expired at {expired_at:%Y-%m-%d %H:%M} UTC")
        self.ticket_id = ticket_id
        self.expired_at = expired_at


@dataclass(frozen=True)
class TokenKeys:
    """The key that signs, then older keys still accepted while their tokens run out."""

    current: bytes = field(repr=False)
    previous: tuple[bytes, ...] = field(default=(), repr=False)

    @classmethod
    def from_secrets(cls, current: str, *previous: str) -> "TokenKeys":
        for secret in (current, *previous):
            if len(secret) < MIN_SECRET_CHARS:
                raise ValueError(f"a channel secret needs {MIN_SECRET_CHARS} characters or more")
        return cls(current.encode(), tuple(p.encode() for p in previous))


@dataclass(frozen=True)
class Claim:
    ticket_id: str
    expires_at: datetime | None


def _tag(key: bytes, purpose: Purpose, signed: bytes) -> bytes:
    message = purpose.value.encode() + b"\0" + signed
    return hmac.new(key, message, hashlib.sha256).digest()[:TAG_BYTES]


def issue(
    keys: TokenKeys, purpose: Purpose, ticket_id: str, expires_at: datetime | None = None
) -> str:
    """A token for `ticket_id`; `expires_at` (aware) ends it, None keeps it as long as the key."""
    expiry = NEVER if expires_at is None else max(1, int(expires_at.timestamp()))
    signed = EXPIRY.pack(expiry) + ticket_id.encode()
    raw = _tag(keys.current, purpose, signed) + signed
    return base64.b32encode(raw).decode().rstrip("=").lower()


def verify(keys: TokenKeys, purpose: Purpose, token: str, now: datetime) -> Claim:
    """The ticket a token names; raises TokenInvalid, or TokenExpired for a genuine old one."""
    raw = _decode(token)
    if len(raw) <= TAG_BYTES + EXPIRY.size:
        raise TokenInvalid("not a ticket token")
    tag, signed = raw[:TAG_BYTES], raw[TAG_BYTES:]
    # Every key is tried, whatever matched, so the time taken does not tell which key signed.
    matches = [hmac.compare_digest(tag, _tag(k, purpose, signed)) for k in _all(keys)]
    if not any(matches):
        raise TokenInvalid("not a ticket token")
    (expiry,) = EXPIRY.unpack(signed[: EXPIRY.size])
    ticket_id = signed[EXPIRY.size :].decode()  # signed by us: text we encoded
    expires_at = None if expiry == NEVER else datetime.fromtimestamp(expiry, UTC)
    if expires_at is not None and now >= expires_at:
        raise TokenExpired(ticket_id, expires_at)
    return Claim(ticket_id, expires_at)


def _all(keys: TokenKeys) -> tuple[bytes, ...]:
    return (keys.current, *keys.previous)


def _decode(token: str) -> bytes:
    if not token.isascii() or not token.isalnum():
        raise TokenInvalid("not a ticket token")
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        return base64.b32decode(padded)
    except ValueError:
        raise TokenInvalid("not a ticket token") from None

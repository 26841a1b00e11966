"""Notification ids: the ticket builds them from business facts, the webhooks read them back.

`<ticket_id>:<seq>:<kind>:L<level>:<channel>:<audience>`, where seq is the timeline entry that
decided the notification. The delivery ledger dedupes on the id, Twilio's callbacks carry it back.
A fallback appends `:fallback:<channel>`, a page's call again `:call:<n>` and a storm digest
`:digest` to the id they stand for."""

import re
from dataclasses import dataclass
from typing import Self, cast, get_args

from contract.status import Audience
from contract.tickets import TICKET_ID_PATTERN
from policy.models import Channel

_FORMAT = re.compile(
    rf"(?P<ticket_id>{TICKET_ID_PATTERN.strip('^$')}):(?P<seq>[0-9]+):(?P<kind>[a-z_]+)"
    rf":L(?P<level>[0-9]+):(?P<channel>{'|'.join(get_args(Channel))})"
    rf":(?P<audience>{'|'.join(get_args(Audience))})"
)


@dataclass(frozen=True)
class NotificationId:
    ticket_id: str
    seq: int
    kind: str
    level: int
    channel: Channel
    audience: Audience

    def __str__(self) -> str:
        return (
            f"{self.ticket_id}:{self.seq}:{self.kind}:L{self.level}:{self.channel}:{self.audience}"
        )

    @classmethod
    def parse(cls, text: str) -> Self | None:
        """The facts of a notification's own id; None for anything else (fallbacks, digests)."""
        match = _FORMAT.fullmatch(text)
        if match is None:
            return None
        parts = match.groupdict()
        return cls(
            ticket_id=parts["ticket_id"],
            seq=int(parts["seq"]),
            kind=parts["kind"],
            level=int(parts["level"]),
            channel=cast(Channel, parts["channel"]),  # the pattern admits only these
            audience=cast(Audience, parts["audience"]),
        )


def fallback_id(original: str, channel: Channel) -> str:
    """The notification that replaces a permanently failed one on another channel."""
    return f"{original}:fallback:{channel}"


def retry_id(first: str, call: int) -> str:
    """Call number `call` of a page whose first call went unanswered."""
    return f"{first}:call:{call}"


def digest_id(original: str) -> str:
    """The storm digest that carries a message the per-recipient limit held back."""
    return f"{original}:digest"

"""Where a customer answers: the Reply-To address and the survey link, each carrying a token."""

from collections.abc import Iterable
from datetime import datetime
from email.utils import getaddresses

from channel.settings import ChannelSettings
from channel.tokens import Purpose, issue

REPLY_LOCAL_PART = "support"
SURVEY_PATH = "/survey/"


class ChannelOff(RuntimeError):
    """The setting a link needs is missing; the message names it."""


def reply_address(settings: ChannelSettings, ticket_id: str) -> str:
    """`support+<token>@<inbound domain>`: the Reply-To of every email to the ticket's customer.

    The token does not expire: the ticket's own life bounds it (a reply to a closed ticket is
    logged and dropped) and rotating CHANNEL_SECRET revokes every address at once."""
    if settings.inbound_domain is None:
        raise ChannelOff("CHANNEL_INBOUND_DOMAIN is not set")
    token = issue(settings.keys, Purpose.REPLY, ticket_id)
    return f"{REPLY_LOCAL_PART}+{token}@{settings.inbound_domain}"


def survey_url(settings: ChannelSettings, ticket_id: str, expires_at: datetime) -> str:
    """The survey link of the resolution email; it stops working at `expires_at` (aware)."""
    if settings.public_url is None:
        raise ChannelOff("API_PUBLIC_URL is not set")
    token = issue(settings.keys, Purpose.SURVEY, ticket_id, expires_at)
    return f"{settings.public_url}{SURVEY_PATH}{token}"


def reply_tokens(headers: Iterable[str], inbound_domain: str) -> list[str]:
    """The tokens of reply addresses among recipients (address-list header values such as
    `To`, `Cc` or the envelope's recipients), in order, each once."""
    found: list[str] = []
    for _name, address in getaddresses(list(headers)):
        local, _, domain = address.rpartition("@")
        prefix, plus, token = local.partition("+")
        ours = domain.lower() == inbound_domain and prefix.lower() == REPLY_LOCAL_PART
        if plus and ours and token and token.lower() not in found:
            found.append(token.lower())
    return found

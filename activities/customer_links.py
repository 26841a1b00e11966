"""The customer channel in emails to customers: the Reply-To token and the survey link.

Minted here, in the activity, from the worker's CHANNEL_SECRET: tokens are credentials and never
enter workflow history (the workflow's message carries neither)."""

import logging

from activities.messages import OutgoingMessage
from channel.links import ChannelOff, reply_address, survey_url
from channel.settings import ChannelSettings

log = logging.getLogger(__name__)


class CustomerLinks:
    def __init__(self, settings: ChannelSettings | None) -> None:
        self._settings = settings

    def add(self, message: OutgoingMessage) -> OutgoingMessage:
        """The message as the customer gets it: replies come back to the ticket and a survey
        carries its link. Team messages pass as they are; what the channel cannot serve is left
        out (the email still goes)."""
        if message.audience != "customer" or message.channel != "email":
            return message
        nid, update = message.notification_id, {}
        try:
            update["reply_to"] = reply_address(self._on(), message.ticket_id)
        except ChannelOff as off:
            log.debug("%s: no reply address: %s", nid, off)
        if message.kind == "survey" and message.link_expires_at is not None:
            try:
                url = survey_url(self._on(), message.ticket_id, message.link_expires_at)
                update["body"] = f"{message.body}\nAnswer here: {url}\n"
            except ChannelOff as off:
                log.warning("%s: survey email sent without its link: %s", nid, off)
        return message.model_copy(update=update)

    def _on(self) -> ChannelSettings:
        if self._settings is None:
            raise ChannelOff("CHANNEL_SECRET is not set")
        return self._settings

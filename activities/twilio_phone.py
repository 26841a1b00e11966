"""SMS (Twilio Messages) and voice pages (Twilio Calls with inline TwiML), synchronous SDK."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from urllib.parse import quote

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from twilio.twiml.voice_response import Gather, VoiceResponse
from urllib3.exceptions import NewConnectionError

from activities.messages import OutgoingMessage
from activities.provider_errors import Outcome, ProviderFailure, http_failure
from activities.provider_settings import TWILIO_DEFAULT_BASE_URL, TwilioSettings

SMS_LIMIT = 600  # characters; long handoff bodies belong in the email


class RedirectingHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with a timeout, another base URL and the Retry-After it saw.

    TwilioRestException carries no headers, so this keeps each thread's last Retry-After."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = base_url.rstrip("/")
        self._last = threading.local()

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        # After the SDK's edge/region rewrite, so every Twilio domain reaches the base URL.
        if self._base != TWILIO_DEFAULT_BASE_URL:
            url = url.replace(TWILIO_DEFAULT_BASE_URL, self._base, 1)
        self._last.headers = {}
        response = super().request(method, url, *args, **kwargs)
        self._last.headers = dict(response.headers or {})
        return response

    @property
    def last_headers(self) -> dict[str, str]:
        return getattr(self._last, "headers", {})


# The HTTP API's routes for Twilio: the key press (starter/api/voice.py) and the status
# callbacks of every SMS and call (the customer-channel work serves it).
ACKNOWLEDGE_PATH = "/webhooks/twilio/voice"
STATUS_PATH = "/webhooks/twilio/status"
# Records read per lookup, newest first: far more than the storm limit lets one recipient get
# between a lost answer and its retry.
LOOKUP_LIMIT = 200
LOOKUP_PAGE = 50


class TwilioPhone:
    def __init__(
        self, settings: TwilioSettings, timeout: float, public_api_url: str | None
    ) -> None:
        self._http = RedirectingHttpClient(settings.base_url, timeout)
        self._client = Client(settings.account_sid, settings.auth_token, http_client=self._http)
        self._from = settings.from_number
        self._api = public_api_url.rstrip("/") if public_api_url else None
        self._timeout = timeout

    def send(self, message: OutgoingMessage) -> str:
        """An SMS or a call, by the message's channel; returns Twilio's sid."""
        # Twilio reports what became of it there; without API_PUBLIC_URL it cannot.
        callback = self.api_url(STATUS_PATH, message) or values.unset
        with self._failures():
            if message.channel == "phone":
                twiml = str(self.page_twiml(message))
                created = self._client.calls.create(
                    to=message.recipient, from_=self._from, twiml=twiml, status_callback=callback
                )
            else:
                created = self._client.messages.create(
                    to=message.recipient,
                    from_=self._from,
                    body=sms_text(message),
                    status_callback=callback,
                )
        return str(created.sid)

    def sent_since(self, message: OutgoingMessage, since: datetime) -> list[str]:
        """Sids of the calls (or SMS with this text) from our number to the recipient created
        since then, oldest first. Twilio's records carry no status-callback URL, so the text is
        all that tells one SMS from another; its StartTime and DateSent filters are whole days
        and skip what is still queued, so the creation time is compared here."""
        query = {
            "to": message.recipient,
            "from_": self._from,
            "limit": LOOKUP_LIMIT,
            "page_size": LOOKUP_PAGE,
        }
        with self._failures():
            if message.channel == "phone":
                found = [(r.date_created, r.sid) for r in self._client.calls.list(**query)]
            else:
                text = sms_text(message)
                records = self._client.messages.list(**query)
                found = [(r.date_created, r.sid) for r in records if r.body == text]
        return [str(sid) for _, sid in sorted(f for f in found if f[0] and f[0] >= since)]

    def tells_apart(self, message: OutgoingMessage) -> bool:
        """An SMS by its text; a call only by its recipient."""
        return message.channel == "sms"

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """The SDK's errors as ProviderFailure."""
        try:
            yield
        except TwilioRestException as err:
            detail = f"code {err.code}: {err.msg}" if err.code else str(err.msg)
            raise http_failure("twilio", err.status, detail, self._http.last_headers) from None
        except TwilioException as err:  # a list page refused: the SDK keeps only the response
            response = err.args[1] if len(err.args) > 1 else None
            status = getattr(response, "status_code", 500)
            detail = page_error(getattr(response, "text", ""))
            raise http_failure("twilio", status, detail, self._http.last_headers) from None
        except requests.exceptions.RequestException as err:
            raise transport_failure(err, self._timeout) from None

    def page_twiml(self, message: OutgoingMessage) -> VoiceResponse:
        """Read the ticket summary, then "press 1 to acknowledge", posted with the notification
        id to the HTTP API (without API_PUBLIC_URL the page is read but cannot be acknowledged)."""
        response = VoiceResponse()
        action = self.api_url(ACKNOWLEDGE_PATH, message)
        gather = Gather(num_digits=1, **({"action": action} if action else {}))
        gather.say(f"{message.subject}. {message.summary}. Press 1 to acknowledge.")
        response.append(gather)
        response.say("No key pressed. The ticket stays unacknowledged.")
        return response

    def api_url(self, path: str, message: OutgoingMessage) -> str | None:
        """The HTTP API's route for this notification, as Twilio reaches it; None without
        API_PUBLIC_URL."""
        if self._api is None:
            return None
        return f"{self._api}{path}?notification_id={quote(message.notification_id)}"


def page_error(body: str) -> str:
    """Twilio's own error (`{"code", "message"}`) from a refused list page, else the body."""
    try:
        error = json.loads(body)
        return f"code {error['code']}: {error['message']}"
    except (ValueError, TypeError, KeyError):
        return body[:200]


def sms_text(message: OutgoingMessage) -> str:
    text = f"{message.subject}\n{message.body}".strip()
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"


def transport_failure(err: requests.exceptions.RequestException, timeout: float) -> ProviderFailure:
    if isinstance(err, requests.exceptions.ConnectTimeout) or _never_connected(err):
        return ProviderFailure(Outcome.RETRY, f"twilio: cannot connect ({type(err).__name__})")
    if isinstance(err, requests.exceptions.ReadTimeout):
        return ProviderFailure(Outcome.AMBIGUOUS, f"twilio: no answer within {timeout:g} s")
    return ProviderFailure(Outcome.AMBIGUOUS, f"twilio: connection lost ({type(err).__name__})")


def _never_connected(err: BaseException) -> bool:
    """A refused or unresolvable connection: the request never left this machine."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, NewConnectionError):
            return True
        reason = getattr(seen, "reason", None)
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = reason if isinstance(reason, BaseException) else nested
    return False

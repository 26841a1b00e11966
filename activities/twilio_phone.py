"""SMS (Twilio Messages) and voice pages (Twilio Calls with inline TwiML), synchronous SDK."""

import threading
from urllib.parse import quote

import requests
from twilio.base.exceptions import TwilioRestException
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


# The HTTP API's route for the key press (starter/api_voice.py on the operators' branch).
ACKNOWLEDGE_PATH = "/webhooks/twilio/voice"


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
        try:
            if message.channel == "phone":
                created = self._client.calls.create(
                    to=message.recipient, from_=self._from, twiml=str(self.page_twiml(message))
                )
            else:
                created = self._client.messages.create(
                    to=message.recipient, from_=self._from, body=sms_text(message)
                )
        except TwilioRestException as err:
            detail = f"code {err.code}: {err.msg}" if err.code else str(err.msg)
            raise http_failure("twilio", err.status, detail, self._http.last_headers) from None
        except requests.exceptions.RequestException as err:
            raise transport_failure(err, self._timeout) from None
        return str(created.sid)

    def page_twiml(self, message: OutgoingMessage) -> VoiceResponse:
        """Read the ticket summary, then "press 1 to acknowledge", posted with the notification
        id to the HTTP API (without API_PUBLIC_URL the page is read but cannot be acknowledged)."""
        response = VoiceResponse()
        action = {"action": self.acknowledge_url(message)} if self._api else {}
        gather = Gather(num_digits=1, **action)
        gather.say(f"{message.subject}. {message.summary}. Press 1 to acknowledge.")
        response.append(gather)
        response.say("No key pressed. The ticket stays unacknowledged.")
        return response

    def acknowledge_url(self, message: OutgoingMessage) -> str:
        return f"{self._api}{ACKNOWLEDGE_PATH}?notification_id={quote(message.notification_id)}"


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

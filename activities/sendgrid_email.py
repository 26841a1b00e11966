"""Email through the SendGrid SDK (synchronous: runs on the worker's activity thread pool)."""

import json
from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Mail

from activities.email_content import html_body
from activities.messages import OutgoingMessage
from activities.provider_errors import Outcome, ProviderFailure, http_failure
from activities.provider_settings import SendGridSettings


class SendGridEmail:
    def __init__(self, settings: SendGridSettings, timeout: float) -> None:
        self._from = settings.from_email
        self._client = SendGridAPIClient(api_key=settings.api_key, host=settings.host)
        # The SDK has no timeout of its own: without this a stuck connection blocks forever.
        self._client.client.timeout = timeout
        self._timeout = timeout

    def send(self, message: OutgoingMessage) -> str:
        """Send and return SendGrid's X-Message-Id; raises ProviderFailure."""
        mail = Mail(
            from_email=self._from,
            to_emails=message.recipient,
            subject=message.subject,
            plain_text_content=message.body,
            html_content=html_body(message.body),
        )
        if message.reply_to:
            mail.reply_to = message.reply_to
        # Opaque id only: it comes back in event webhooks; no personal data in custom args.
        mail.custom_arg = CustomArg("notification_id", message.notification_id)
        try:
            response = self._client.send(mail)
        except HTTPError as err:
            raise http_failure(
                "sendgrid", err.status_code, _error_text(err.body), err.headers
            ) from None
        except TimeoutError:  # the request went out; the answer did not come back
            raise ProviderFailure(
                Outcome.AMBIGUOUS, f"sendgrid: no answer within {self._timeout:g} s"
            ) from None
        except URLError as err:  # the request never reached SendGrid
            raise ProviderFailure(
                Outcome.RETRY, f"sendgrid: cannot connect ({err.reason})"
            ) from None
        except OSError as err:  # connection lost after sending
            raise ProviderFailure(
                Outcome.AMBIGUOUS, f"sendgrid: connection lost ({type(err).__name__})"
            ) from None
        headers = {key.lower(): value for key, value in response.headers.items()}
        return headers.get("x-message-id") or f"sendgrid-{response.status_code}"


def _error_text(body: bytes | str | None) -> str:
    """SendGrid's own error messages ({"errors": [{"message", "field"}]}), else a short body."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        errors = json.loads(text).get("errors") or []
        return "; ".join(
            f"{e.get('field') + ': ' if e.get('field') else ''}{e.get('message')}" for e in errors
        )
    except (ValueError, AttributeError):
        return text[:200]

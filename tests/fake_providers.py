"""A local stand-in for SendGrid and Twilio that the real SDKs talk HTTP to, with scripted faults.

It speaks SendGrid's POST /v3/mail/send and Twilio's POST .../Messages.json and .../Calls.json,
checks their credentials, and records every request it saw and whether it accepted it."""

import base64
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from activities.provider_settings import ProviderSettings, SendGridSettings, TwilioSettings

SENDGRID_KEY = "SG.test-key-never-in-history"
TWILIO_SID = "AC00000000000000000000000000000001"
TWILIO_TOKEN = "twilio-token-never-in-history"
FROM_EMAIL = "support@example.com"
FROM_NUMBER = "+15550009999"


@dataclass(frozen=True)
class Fault:
    """One scripted answer instead of success: a status with body and headers, or a hang."""

    status: int = 500
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering (longer than the client's timeout)


def twilio_error(status: int, code: int, message: str, **headers: str) -> Fault:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return Fault(status, body, headers)


def sendgrid_error(status: int, message: str, **headers: str) -> Fault:
    return Fault(status, {"errors": [{"message": message, "field": None}]}, headers)


@dataclass
class Seen:
    kind: str  # email, sms or call
    to: str
    payload: dict[str, Any]
    at: float
    accepted: bool
    provider_id: str | None


class FakeProviders:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.down = False  # every request answers 503 while set
        self.on_accept: Callable[[Seen], None] | None = None
        self._faults: dict[tuple[str, str | None], deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def settings(
        self, public_api_url: str | None = "https://support.example.com"
    ) -> ProviderSettings:
        return ProviderSettings(
            sendgrid=SendGridSettings(SENDGRID_KEY, FROM_EMAIL, self.url),
            twilio=TwilioSettings(TWILIO_SID, TWILIO_TOKEN, FROM_NUMBER, self.url),
            public_api_url=public_api_url,
        )

    def script(self, kind: str, *faults: Fault, to: str | None = None) -> None:
        """The next requests of this kind (to this recipient, if given) get these answers."""
        with self._lock:
            self._faults[(kind, to)].extend(faults)

    def seen(self, kind: str | None = None, to: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (kind is None or r.kind == kind) and (to is None or r.to == to)
            ]

    def accepted(self, kind: str | None = None, to: str | None = None) -> list[Seen]:
        return [r for r in self.seen(kind, to) if r.accepted]

    @contextmanager
    def running(self) -> Iterator["FakeProviders"]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    def _next_fault(self, kind: str, to: str) -> Fault | None:
        with self._lock:
            if self.down:
                return Fault(503, {"message": "service unavailable"})
            for key in ((kind, to), (kind, None)):
                if self._faults[key]:
                    return self._faults[key].popleft()
        return None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/v3/mail/send":
                    self._answer("email", *self._sendgrid(raw))
                elif self.path.startswith(f"/2010-04-01/Accounts/{TWILIO_SID}/"):
                    kind = "call" if self.path.endswith("/Calls.json") else "sms"
                    self._answer(kind, *self._twilio(raw))
                else:
                    self._send(404, {"message": f"no route {self.path}"})

            def _sendgrid(self, raw: bytes) -> tuple[str, dict[str, Any], bool]:
                payload = json.loads(raw)
                to = payload["personalizations"][0]["to"][0]["email"]
                authorized = self.headers.get("Authorization") == f"Bearer {SENDGRID_KEY}"
                return to, payload, authorized

            def _twilio(self, raw: bytes) -> tuple[str, dict[str, Any], bool]:
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
                authorized = self.headers.get("Authorization") == f"Basic {expected}"
                return form.get("To", ""), form, authorized

            def _answer(
                self, kind: str, to: str, payload: dict[str, Any], authorized: bool
            ) -> None:
                if not authorized:
                    fake._record(Seen(kind, to, payload, time.time(), False, None))
                    self._send(401, {"message": "authentication failed"})
                    return
                fault = fake._next_fault(kind, to)
                if fault is not None:
                    fake._record(Seen(kind, to, payload, time.time(), False, None))
                    if fault.hang:
                        time.sleep(fault.hang)
                    self._send(fault.status, fault.body, fault.headers)
                    return
                with fake._lock:
                    number = len(fake.requests) + 1
                provider_id = {"email": "sg", "sms": "SM", "call": "CA"}[kind] + f"{number:032d}"
                seen = Seen(kind, to, payload, time.time(), True, provider_id)
                fake._record(seen)
                if fake.on_accept:  # before answering: the sender cannot have reacted yet
                    fake.on_accept(seen)
                if kind == "email":
                    self._send(202, None, {"X-Message-Id": provider_id})
                else:
                    self._send(201, {"sid": provider_id, "status": "queued", "to": to})

            def _send(
                self,
                status: int,
                body: dict[str, Any] | None,
                headers: dict[str, str] | None = None,
            ) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a hang longer than its timeout)

        return Handler

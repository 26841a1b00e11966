"""A local stand-in for SendGrid and Twilio that the real SDKs talk HTTP to, with scripted faults.

It speaks SendGrid's POST /v3/mail/send and Twilio's POST .../Messages.json and .../Calls.json,
checks their credentials, and records every request it saw and whether it accepted it. It lists
what it accepted as Twilio does (GET .../Calls.json and .../Messages.json by To and From, newest
first, in Twilio's page shape). A first path segment before those routes names the client
(`http://host:port/w1` as a worker's base URL): tests tell workers apart by it."""

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
from urllib.parse import parse_qs, urlencode, urlsplit

from activities.provider_settings import ProviderSettings, SendGridSettings, TwilioSettings

SENDGRID_KEY = "SG.test-key-never-in-history"
TWILIO_SID = "AC00000000000000000000000000000001"
TWILIO_TOKEN = "twilio-token-never-in-history"
FROM_EMAIL = "support@example.com"
FROM_NUMBER = "+15550009999"
TWILIO_ROOT = f"/2010-04-01/Accounts/{TWILIO_SID}"
LISTS = {"Calls.json": ("call", "calls"), "Messages.json": ("sms", "messages")}


@dataclass(frozen=True)
class Fault:
    """One scripted answer instead of success: a status with body and headers, or a hang."""

    status: int = 500
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering (longer than the client's timeout)
    # The provider acts on the request (sends it) before this answer: a late or failed answer
    # to a message that went out.
    accept: bool = False


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
    via: str = ""  # the client's path prefix, if any


@dataclass(frozen=True)
class Lookup:
    kind: str  # call or sms
    to: str
    via: str


class FakeProviders:
    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.lookups: list[Lookup] = []  # Twilio list requests, answered or not
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
        self, public_api_url: str | None = "https://support.example.com", via: str = ""
    ) -> ProviderSettings:
        """Settings that reach this fake; `via` names the client in every request's path."""
        base = f"{self.url}/{via}" if via else self.url
        return ProviderSettings(
            sendgrid=SendGridSettings(SENDGRID_KEY, FROM_EMAIL, base),
            twilio=TwilioSettings(TWILIO_SID, TWILIO_TOKEN, FROM_NUMBER, base),
            public_api_url=public_api_url,
        )

    def script(self, kind: str, *faults: Fault, to: str | None = None) -> None:
        """The next requests of this kind (to this recipient, if given) get these answers; kind
        "lookup" scripts Twilio's list requests."""
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

    def _accept(self, kind: str, to: str, payload: dict[str, Any], via: str) -> Seen:
        with self._lock:
            number = len(self.requests) + 1
            provider_id = {"email": "sg", "sms": "SM", "call": "CA"}[kind] + f"{number:032d}"
            seen = Seen(kind, to, payload, time.time(), True, provider_id, via)
            self.requests.append(seen)
        if self.on_accept:  # before answering: the sender cannot have reacted yet
            self.on_accept(seen)
        return seen

    def _listed(self, kind: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """What Twilio's list gives for these filters: accepted records, newest first."""
        matching = [
            r
            for r in reversed(self.accepted(kind))
            if query.get("To", r.to) == r.to
            and query.get("From", r.payload["From"]) == r.payload["From"]
        ]
        return [_twilio_record(r) for r in matching]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The sender died between its headers and its body (urllib3 sends them
                    # apart): no provider acts on half a request, nor can it answer.
                    self.close_connection = True
                    return
                via, path = _client_and_route(urlsplit(self.path).path)
                if path == "/v3/mail/send":
                    self._answer("email", via, *self._sendgrid(raw))
                elif path.startswith(f"{TWILIO_ROOT}/"):
                    kind = "call" if path.endswith("/Calls.json") else "sms"
                    self._answer(kind, via, *self._twilio(raw))
                else:
                    self._send(404, {"message": f"no route {self.path}"})

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                via, path = _client_and_route(url.path)
                listed = LISTS.get(path.removeprefix(f"{TWILIO_ROOT}/"))
                if listed is None:
                    self._send(404, {"message": f"no route {self.path}"})
                    return
                kind, key = listed
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with fake._lock:
                    fake.lookups.append(Lookup(kind, query.get("To", ""), via))
                if not self._twilio_authorized():
                    self._send(401, {"message": "authentication failed"})
                    return
                fault = fake._next_fault("lookup", query.get("To", ""))
                if fault is not None:
                    self._send(fault.status, fault.body, fault.headers)
                    return
                self._send(200, _page(path, key, fake._listed(kind, query), query))

            def _sendgrid(self, raw: bytes) -> tuple[str, dict[str, Any], bool]:
                payload = json.loads(raw)
                to = payload["personalizations"][0]["to"][0]["email"]
                authorized = self.headers.get("Authorization") == f"Bearer {SENDGRID_KEY}"
                return to, payload, authorized

            def _twilio(self, raw: bytes) -> tuple[str, dict[str, Any], bool]:
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                return form.get("To", ""), form, self._twilio_authorized()

            def _twilio_authorized(self) -> bool:
                expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
                return self.headers.get("Authorization") == f"Basic {expected}"

            def _answer(
                self, kind: str, via: str, to: str, payload: dict[str, Any], authorized: bool
            ) -> None:
                if not authorized:
                    fake._record(Seen(kind, to, payload, time.time(), False, None, via))
                    self._send(401, {"message": "authentication failed"})
                    return
                fault = fake._next_fault(kind, to)
                if fault is not None and not fault.accept:
                    fake._record(Seen(kind, to, payload, time.time(), False, None, via))
                    if fault.hang:
                        time.sleep(fault.hang)
                    self._send(fault.status, fault.body, fault.headers)
                    return
                seen = fake._accept(kind, to, payload, via)
                if fault is not None:  # sent, then a late or failed answer
                    time.sleep(fault.hang)
                    self._send(fault.status, fault.body, fault.headers)
                elif kind == "email":
                    self._send(202, None, {"X-Message-Id": seen.provider_id or ""})
                else:
                    self._send(201, {"sid": seen.provider_id, "status": "queued", "to": to})

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


def _client_and_route(path: str) -> tuple[str, str]:
    """("w1", "/v3/mail/send") from "/w1/v3/mail/send"; no prefix: ("", path)."""
    if path.startswith(("/v3/", "/2010-04-01/")):
        return "", path
    prefix, _, rest = path.lstrip("/").partition("/")
    return prefix, f"/{rest}"


def _rfc2822(instant: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(instant))


def _twilio_record(seen: Seen) -> dict[str, Any]:
    """A Call or Message resource as Twilio lists it, still queued: no start or send time
    yet, and (as on Twilio) no status-callback URL."""
    created = _rfc2822(seen.at)
    record: dict[str, Any] = {
        "sid": seen.provider_id,
        "account_sid": TWILIO_SID,
        "to": seen.to,
        "from": seen.payload["From"],
        "status": "queued",
        "direction": "outbound-api",
        "date_created": created,
        "date_updated": created,
        "api_version": "2010-04-01",
    }
    if seen.kind == "call":
        record |= {"start_time": None, "end_time": None, "duration": None}
        record["uri"] = f"{TWILIO_ROOT}/Calls/{seen.provider_id}.json"
    else:
        record |= {"body": seen.payload.get("Body", ""), "date_sent": None, "num_segments": "1"}
        record["uri"] = f"{TWILIO_ROOT}/Messages/{seen.provider_id}.json"
    return record


def _page(
    path: str, key: str, records: list[dict[str, Any]], query: dict[str, str]
) -> dict[str, Any]:
    """Twilio's page shape; the next page's URI is relative to api.twilio.com, as Twilio's."""
    size = int(query.get("PageSize", "50"))
    number = int(query.get("Page", "0"))
    filters = {k: v for k, v in query.items() if k in ("To", "From")}

    def uri(page: int) -> str:
        token = {"PageToken": f"PA{page}"} if page else {}
        return f"{path}?{urlencode({**filters, 'PageSize': size, 'Page': page, **token})}"

    start = number * size
    more = len(records) > start + size
    return {
        key: records[start : start + size],
        "start": start,
        "end": start + max(0, min(size, len(records) - start) - 1),
        "page": number,
        "page_size": size,
        "uri": uri(number),
        "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1) if more else None,
        "previous_page_uri": uri(number - 1) if number else None,
    }

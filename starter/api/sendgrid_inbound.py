"""SendGrid Inbound Parse's multipart form, read into what the customer channel needs.

SendGrid posts each text field in the charset the message declared (the `charsets` field names
them), so the fields are parsed as bytes (python-multipart) and decoded here. Attachments are
counted and measured, never kept."""

import json
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from typing import Any

from pydantic import BaseModel
from python_multipart import create_form_parser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import Field, File, MultipartState

# SendGrid sends about fifteen fields plus one per attachment.
MAX_FIELDS = 1000
# What mailers that ignore RFC 3834's Auto-Submitted set on their automatic answers.
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond")
AUTO_PRECEDENCE = ("auto_reply", "bulk", "junk")


class InboundMalformed(ValueError):
    """Not a form SendGrid sends; `field` names the part at fault (None: the whole body)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


class NotMultipart(InboundMalformed):
    """The body is not declared multipart/form-data."""


class Attachment(BaseModel):
    """What is kept of an attachment: its name, type and size, never its content."""

    name: str
    type: str
    size: int


@dataclass(frozen=True)
class InboundEmail:
    sender: str
    # Address-list values to look for a reply address in: the envelope's, then To and Cc.
    recipients: list[str]
    subject: str
    text: str
    html: str
    message_id: str | None
    automatic: bool
    attachments: list[Attachment] = field(default_factory=list)
    spf: str = ""


def parse_inbound(content_type: str, body: bytes) -> InboundEmail:
    """The email in SendGrid's form; raises InboundMalformed naming the field at fault."""
    if content_type.partition(";")[0].strip().lower() != "multipart/form-data":
        shown = content_type[:100] or "none"
        raise NotMultipart(f"Content-Type must be multipart/form-data, not {shown}")
    fields: dict[str, bytes] = {}
    files: list[File] = []

    def on_field(part: Field) -> None:
        fields[part.field_name.decode("latin-1")] = part.value or b""

    headers = {"Content-Type": content_type.encode("latin-1", "replace")}
    config = {"MAX_FIELDS": MAX_FIELDS, "MAX_MEMORY_FILE_SIZE": len(body) + 1}
    try:
        parser = create_form_parser(headers, on_field, files.append, config=config)
        parser.write(body)
        parser.finalize()
    except (FormParserError, ValueError) as err:
        raise InboundMalformed(f"not a readable multipart form: {err}") from None
    # python-multipart accepts a form cut short; SendGrid's always end with the closing boundary.
    if getattr(parser.parser, "state", None) != MultipartState.END:
        raise InboundMalformed("the multipart form ends before its closing boundary")
    text = _decoded(fields)
    envelope = _envelope(text.get("envelope"))
    headers = HeaderParser().parsestr(text.get("headers", ""))
    return InboundEmail(
        sender=str(envelope.get("from") or text.get("from", "")),
        recipients=[*envelope["to"], text.get("to", ""), text.get("cc", "")],
        subject=text.get("subject", ""),
        text=text.get("text", ""),
        html=text.get("html", ""),
        message_id=str(headers.get("Message-ID", "")).strip() or None,
        automatic=_automatic(headers),
        attachments=_attachments(files, text.get("attachment-info", "")),
        spf=text.get("SPF", ""),
    )


def _decoded(fields: dict[str, bytes]) -> dict[str, str]:
    charsets = _json_object(fields.get("charsets", b"{}").decode("utf-8", "replace"), "charsets")
    decoded = {}
    for name, raw in fields.items():
        charset = str(charsets.get(name) or "utf-8")
        try:
            decoded[name] = raw.decode(charset, "replace")
        except LookupError:  # a charset Python does not know: UTF-8 is the likeliest
            decoded[name] = raw.decode("utf-8", "replace")
    return decoded


def _json_object(raw: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise InboundMalformed("not JSON", name) from None
    if not isinstance(value, dict):
        raise InboundMalformed("not a JSON object", name)
    return value


def _envelope(raw: str | None) -> dict[str, Any]:
    if raw is None:
        raise InboundMalformed("missing: SendGrid always sends the SMTP envelope", "envelope")
    envelope = _json_object(raw, "envelope")
    recipients = envelope.get("to")
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise InboundMalformed('"to" must be a list of addresses', "envelope")
    return envelope


def _automatic(headers: Message) -> bool:
    """An out-of-office or other machine answer (RFC 3834): it must not reopen a ticket."""
    auto = str(headers.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(headers.get("Precedence", "")).strip().lower()
    return (
        auto != "no"
        or precedence in AUTO_PRECEDENCE
        or any(name in headers for name in AUTO_REPLY_HEADERS)
    )


def _attachments(files: list[File], info_json: str) -> list[Attachment]:
    """Name and type as SendGrid describes them (`attachment-info`), size as received."""
    info = _json_object(info_json, "attachment-info") if info_json else {}
    found = []
    for upload in files:
        name = upload.field_name.decode("latin-1") if upload.field_name else ""
        described = info.get(name) if isinstance(info.get(name), dict) else {}
        file_name = upload.file_name.decode("utf-8", "replace") if upload.file_name else ""
        content_type = upload.content_type or ""
        found.append(
            Attachment(
                name=str(described.get("filename") or file_name or name),
                type=str(described.get("type") or content_type or "application/octet-stream"),
                size=upload.size,
            )
        )
        upload.close()
    return found

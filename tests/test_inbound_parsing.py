"""Reading a customer's reply: SendGrid's form decoded as its `charsets` say, the quoted earlier
messages cut off for every mail client and language in tests/inbound_emails.py, attachments
reduced to metadata and automatic answers recognised."""

import pytest

from channel.escalation_request import requests_escalation
from channel.replies import latest_reply
from starter.api.inbound import MESSAGE_CHARS, message_text, update_id
from starter.api.sendgrid_inbound import (
    Attachment,
    InboundMalformed,
    NotMultipart,
    parse_inbound,
)
from tests.inbound_emails import QUOTED_ESCALATION, REPLIES, Reply, sendgrid_form

TO = "support+abc@reply.example.test"


@pytest.mark.parametrize("reply", REPLIES, ids=lambda reply: reply.client)
def test_only_the_customers_own_words_remain(reply: Reply) -> None:
    text, html = ("", reply.body) if reply.html else (reply.body, "")
    own = latest_reply(text, html)
    assert own == reply.own_words
    # The quoted email asked to escalate; the customer did not.
    assert QUOTED_ESCALATION.lower() in reply.body.lower()
    assert not requests_escalation(own)


def test_a_reply_without_quote_is_kept_whole() -> None:
    assert latest_reply("Just this.\r\nAnd this.\r\n") == "Just this.\nAnd this."
    assert latest_reply("", "<p>One</p><p>Two<script>alert(1)</script></p>") == "One\nTwo"
    assert latest_reply("", "") == latest_reply("", "<!-- nothing -->") == ""


@pytest.mark.parametrize(
    "text",
    [
        "Please escalate this.",
        "I want to speak to a manager.",
        "Can I talk to a   manager today?",
        "PLEASE ESCALATE",
        "Could you get someone senior on this?",
    ],
)
def test_escalation_requests_are_heard(text: str) -> None:
    assert requests_escalation(text)


@pytest.mark.parametrize(
    "text",
    [
        "It works, thanks.",
        "The managerial view is slow.",
        "Please escalated-ish",
        "No need to escalate, it works now.",
    ],
)
def test_other_words_ask_for_nothing(text: str) -> None:
    assert not requests_escalation(text)


def test_fields_are_decoded_in_the_charset_sendgrid_names() -> None:
    headers, body = sendgrid_form(TO, text="Ça coûte cher.", charset="iso-8859-1")
    assert "Ça coûte cher.".encode("iso-8859-1") in body  # not UTF-8 on the wire
    email = parse_inbound(headers["content-type"], body)
    assert email.text == "Ça coûte cher."
    assert email.recipients[0] == TO
    assert email.sender == "grace@example.com"
    assert email.message_id == "<reply-1@mail.example.com>"
    assert not email.automatic


def test_attachments_keep_name_type_and_size_only() -> None:
    files = [("screen.png", "image/png", b"\x89PNG" + b"0" * 2000), ("log.txt", "text/plain", b"x")]
    headers, body = sendgrid_form(TO, text="See attached.", attachments=files)
    email = parse_inbound(headers["content-type"], body)
    assert email.attachments == [
        Attachment(name="screen.png", type="image/png", size=2004),
        Attachment(name="log.txt", type="text/plain", size=1),
    ]
    assert message_text("See attached.", email.attachments) == (
        "See attached.\n\nAttachments (not kept): screen.png (image/png, 2004 bytes); "
        "log.txt (text/plain, 1 bytes)"
    )


def test_a_long_reply_is_cut_to_what_a_customer_message_holds() -> None:
    text = message_text("x" * (MESSAGE_CHARS + 10), [])
    assert len(text) == MESSAGE_CHARS and text.endswith("…")


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Precedence: bulk",
        "X-Autoreply: yes",
    ],
)
def test_automatic_answers_are_recognised(header: str) -> None:
    headers, body = sendgrid_form(TO, text="I am out of office.", extra_headers=header + "\n")
    assert parse_inbound(headers["content-type"], body).automatic


def test_the_same_email_is_the_same_update() -> None:
    def parsed(message_id: str, text: str = "Hi") -> str:
        headers, body = sendgrid_form(TO, text=text, message_id=message_id)
        return update_id(parse_inbound(headers["content-type"], body))

    assert parsed("<a@x>") == parsed("<a@x>", text="changed in transit")
    assert parsed("<a@x>") != parsed("<b@x>")
    assert parsed("", "one") == parsed("", "one") != parsed("", "two")


def test_forms_sendgrid_never_sends_are_refused_naming_the_field() -> None:
    headers, body = sendgrid_form(TO, text="Hi")
    with pytest.raises(NotMultipart):
        parse_inbound("application/json", b"{}")
    with pytest.raises(InboundMalformed) as unreadable:
        parse_inbound(headers["content-type"], body[: len(body) // 2])
    assert unreadable.value.field is None
    no_envelope = body.replace(b'name="envelope"', b'name="envelopf"')
    with pytest.raises(InboundMalformed) as missing:
        parse_inbound(headers["content-type"], no_envelope)
    assert missing.value.field == "envelope"
    bad_charsets = body.replace(b'{"to": "UTF-8"', b'["to", "UTF-8"')
    with pytest.raises(InboundMalformed) as charsets:
        parse_inbound(headers["content-type"], bad_charsets)
    assert charsets.value.field == "charsets"


def test_an_unknown_charset_is_read_as_utf8() -> None:
    headers, body = sendgrid_form(TO, text="Hello")
    body = body.replace(b'"text": "utf-8"', b'"text": "x-no-such-charset"')
    assert parse_inbound(headers["content-type"], body).text == "Hello"

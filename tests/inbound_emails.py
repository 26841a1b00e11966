"""Replies as mail clients write them, and SendGrid Inbound Parse's form around them.

The quoted parts follow what Gmail, Outlook and Apple Mail put under a reply, in English and
other languages; each sample pairs the raw body with the customer's own words."""

import json
from dataclasses import dataclass

import httpx

QUOTED_ESCALATION = "Please escalate this if you are not satisfied."


@dataclass(frozen=True)
class Reply:
    client: str
    body: str
    own_words: str
    html: bool = False


REPLIES = [
    Reply(
        "Gmail, English",
        "Thanks, but it still fails with files over 10 MB.\n\n"
        "On Mon, Nov 23, 2026 at 10:04 AM Acme Support <support+abc@reply.example.test> wrote:\n\n"
        f'> Hello Grace,\n>\n> "Upload fails" has been resolved.\n> {QUOTED_ESCALATION}\n',
        "Thanks, but it still fails with files over 10 MB.",
    ),
    Reply(
        "Gmail, English, header wrapped",
        "Works now, thank you!\n\nOn Mon, Nov 23, 2026 at 10:04 AM Acme Support <\n"
        f"support+abc@reply.example.test> wrote:\n\n> Hello Grace,\n> {QUOTED_ESCALATION}\n",
        "Works now, thank you!",
    ),
    Reply(
        "Outlook, English",
        "Still broken here.\n\nRegards,\nGrace\n\n________________________________\n"
        "From: Acme Support <support+abc@reply.example.test>\n"
        "Sent: Monday, November 23, 2026 10:04 AM\nTo: Grace Hopper <grace@example.com>\n"
        f"Subject: Your request has been resolved [#T-1001]\n\nHello Grace,\n{QUOTED_ESCALATION}\n",
        "Still broken here.\n\nRegards,\nGrace",
    ),
    Reply(
        "Outlook, English, original message",
        "Still broken.\n\n-----Original Message-----\nFrom: Acme Support\n"
        "Sent: Monday, November 23, 2026 10:04 AM\nTo: Grace\nSubject: resolved\n\n"
        f"{QUOTED_ESCALATION}\n",
        "Still broken.",
    ),
    Reply(
        "Apple Mail, English",
        "Still broken on my side.\n\nSent from my iPhone\n\n"
        "> On 23 Nov 2026, at 10:04, Acme Support <support+abc@reply.example.test> wrote:\n>\n"
        f"> Hello Grace,\n> {QUOTED_ESCALATION}\n",
        "Still broken on my side.\n\nSent from my iPhone",
    ),
    Reply(
        "Gmail, German",
        "Leider funktioniert es immer noch nicht.\n\n"
        "Am Mo., 23. Nov. 2026 um 10:04 Uhr schrieb Acme Support "
        f"<support+abc@reply.example.test>:\n\n> Hallo Grace,\n> {QUOTED_ESCALATION}\n",
        "Leider funktioniert es immer noch nicht.",
    ),
    Reply(
        "Outlook, German",
        "Das Problem besteht weiterhin.\n\nVon: Acme Support <support+abc@reply.example.test>\n"
        "Gesendet: Montag, 23. November 2026 10:04\nAn: Grace Hopper <grace@example.com>\n"
        f"Betreff: Ihre Anfrage [#T-1001]\n\nHallo Grace,\n{QUOTED_ESCALATION}\n",
        "Das Problem besteht weiterhin.",
    ),
    Reply(
        "Apple Mail, French",
        "Ça ne marche toujours pas.\n\n> Le 23 nov. 2026 à 10:04, Acme Support "
        f"<support+abc@reply.example.test> a écrit :\n>\n> Bonjour Grace,\n> {QUOTED_ESCALATION}\n",
        "Ça ne marche toujours pas.",
    ),
    Reply(
        "Outlook, French",
        "Toujours en panne.\n\nDe : Acme Support <support+abc@reply.example.test>\n"
        "Envoyé : lundi 23 novembre 2026 10:04\nÀ : Grace Hopper <grace@example.com>\n"
        f"Objet : Votre demande [#T-1001]\n\nBonjour Grace,\n{QUOTED_ESCALATION}\n",
        "Toujours en panne.",
    ),
    Reply(
        "Gmail, Spanish",
        "Sigue fallando.\n\nEl lun, 23 nov 2026 a las 10:04, Acme Support "
        f"(<support+abc@reply.example.test>) escribió:\n\n> Hola Grace,\n> {QUOTED_ESCALATION}\n",
        "Sigue fallando.",
    ),
    Reply(
        "Gmail, HTML only",
        '<div dir="ltr">Still failing,<br>see the log attached.</div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Nov 23, 2026 at '
        "10:04 AM Acme Support &lt;support+abc@reply.example.test&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote">Hello Grace, {QUOTED_ESCALATION}</blockquote></div>',
        "Still failing,\nsee the log attached.",
        html=True,
    ),
    Reply(
        "Outlook, HTML only, French",
        "<html><head><style>p{margin:0}</style></head><body><div>Toujours en panne.</div>"
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr">'
        "<b>De :</b> Acme Support &lt;support+abc@reply.example.test&gt;<br>"
        "<b>Envoyé :</b> lundi 23 novembre 2026 10:04<br><b>À :</b> Grace<br>"
        f"<b>Objet :</b> Votre demande</div><div>{QUOTED_ESCALATION}</div></body></html>",
        "Toujours en panne.",
        html=True,
    ),
    Reply(
        "Apple Mail, HTML only",
        '<html><body dir="auto">Still broken.<br><div dir="ltr"><blockquote type="cite">On 23 '
        "Nov 2026, at 10:04, Acme Support &lt;support+abc@reply.example.test&gt; wrote:<br>"
        f'</blockquote></div><blockquote type="cite"><div>{QUOTED_ESCALATION}</div></blockquote>'
        "</body></html>",
        "Still broken.",
        html=True,
    ),
]


def sendgrid_form(
    recipient: str,
    text: str = "",
    html: str = "",
    message_id: str = "<reply-1@mail.example.com>",
    sender: str = "grace@example.com",
    extra_headers: str = "",
    attachments: list[tuple[str, str, bytes]] | None = None,
    charset: str = "utf-8",
) -> tuple[dict[str, str], bytes]:
    """Headers and body of the multipart form SendGrid posts for an email to `recipient`, each
    text field encoded in `charset` as the `charsets` field says; attachments are
    (file name, type, content)."""
    attachments = attachments or []
    fields: dict[str, str] = {
        "headers": (
            f"Received: from mail.example.com\nMessage-ID: {message_id}\nFrom: Grace <{sender}>\n"
            f"To: {recipient}\nSubject: Re: Your request has been resolved\n{extra_headers}"
        ),
        "dkim": "{@example.com : pass}",
        "to": recipient,
        "from": f"Grace <{sender}>",
        "subject": "Re: Your request has been resolved",
        "sender_ip": "192.0.2.1",
        "spam_score": "0.1",
        "SPF": "pass",
        "envelope": json.dumps({"to": [recipient], "from": sender}),
        "charsets": json.dumps(
            {"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8", "text": charset, "html": charset}
        ),
        "attachments": str(len(attachments)),
    }
    if text:
        fields["text"] = text
    if html:
        fields["html"] = html
    parts: dict[str, tuple[str | None, bytes, str]] = {
        name: (None, value.encode(charset if name in ("text", "html") else "utf-8"), "text/plain")
        for name, value in fields.items()
    }
    if attachments:
        info = {
            f"attachment{i}": {"filename": name, "name": name, "type": kind}
            for i, (name, kind, _) in enumerate(attachments, 1)
        }
        parts["attachment-info"] = (None, json.dumps(info).encode(), "text/plain")
        for i, (name, kind, content) in enumerate(attachments, 1):
            parts[f"attachment{i}"] = (name, content, kind)
    request = httpx.Request("POST", "http://sendgrid.invalid/", files=parts)
    return dict(request.headers), request.read()

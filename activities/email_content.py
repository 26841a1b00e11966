"""The HTML part of notification emails: the plain text, escaped, in simple paragraphs.

Everything is escaped, so whatever a customer typed into a subject or description is shown as
text and never interpreted as markup."""

import html


def html_body(text: str) -> str:
    paragraphs = [part for part in text.strip().split("\n\n") if part.strip()]
    rendered = "".join(
        f"<p>{'<br>'.join(html.escape(line) for line in part.splitlines())}</p>"
        for part in paragraphs
    )
    return f'<!doctype html><html><body style="font-family:sans-serif">{rendered}</body></html>'

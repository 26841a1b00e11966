"""The survey's HTML pages: the form, the thank-you and every reason it cannot be answered.

Plain HTML forms (no script), rendered by Jinja2 with autoescaping: a ticket's subject is the
customer's own text and is shown as text. Headers keep the token in the URL out of caches,
search engines and other sites' `Referer`."""

from enum import StrEnum

from annotated_types import MaxLen
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from contract.signals import SurveyResponseInput

SCORES = [(1, "Poor"), (2, "Fair"), (3, "Good"), (4, "Very good"), (5, "Excellent")]
COMMENT_CHARS = next(
    m.max_length
    for m in SurveyResponseInput.model_fields["comment"].metadata
    if isinstance(m, MaxLen)
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}

_templates = Environment(
    loader=PackageLoader("starter.api", "templates"), autoescape=select_autoescape(default=True)
)


class Refusal(StrEnum):
    """Why a survey link shows no form; each with its status and the words the customer reads."""

    INVALID = "invalid"
    EXPIRED = "expired"
    ANSWERED = "answered"
    NOT_RESOLVED = "not_resolved"
    CLOSED = "closed"
    UNAVAILABLE = "unavailable"


REFUSALS: dict[Refusal, tuple[int, str, list[str]]] = {
    Refusal.INVALID: (
        404,
        "This survey link is not valid",
        [
            "The link may have been cut or changed when it was copied.",
            "Open it again from the email we sent you.",
        ],
    ),
    Refusal.EXPIRED: (
        410,
        "This survey has closed",
        ["The time to answer it has passed. Thank you all the same."],
    ),
    Refusal.ANSWERED: (
        409,
        "You have already answered this survey",
        ["We have your rating. Thank you for taking the time."],
    ),
    Refusal.NOT_RESOLVED: (
        409,
        "There is nothing to rate yet",
        [
            "Your request was reopened and we are working on it again.",
            "We will ask for your rating once it is resolved.",
        ],
    ),
    Refusal.CLOSED: (
        410,
        "This survey has closed",
        ["Your request is closed and no longer takes a rating. Thank you all the same."],
    ),
    Refusal.UNAVAILABLE: (
        503,
        "The survey is not available right now",
        ["Please try again in a few minutes."],
    ),
}


def _page(status: int, template: str, **values: object) -> HTMLResponse:
    html = _templates.get_template(template).render(**values)
    return HTMLResponse(html, status, headers=HEADERS)


def form_page(
    ticket_id: str,
    subject: str,
    score: int | None = None,
    comment: str = "",
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    """The form; with `errors` (field -> message) it comes back 422 with what was entered."""
    return _page(
        422 if errors else 200,
        "survey_form.html",
        title="How did we do?",
        ticket_id=ticket_id,
        subject=subject,
        scores=SCORES,
        score=score,
        comment=comment,
        comment_chars=COMMENT_CHARS,
        errors=errors or {},
    )


def thanks_page(score: int) -> HTMLResponse:
    label = dict(SCORES)[score]
    return _page(
        200,
        "survey_message.html",
        title="Thank you for your rating",
        paragraphs=[
            f"You rated our help {score} out of 5 ({label}).",
            "Your request is now closed.",
        ],
    )


def refusal_page(refusal: Refusal) -> HTMLResponse:
    status, title, paragraphs = REFUSALS[refusal]
    return _page(status, "survey_message.html", title=title, paragraphs=paragraphs)

"""Weekly escalation review: build the report, record it, email it to the managers."""

import os
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Engine
from temporalio import activity

from activities.delivery import NotificationDelivery
from activities.messages import OutgoingMessage
from policy.models import EscalationPolicy
from reports.build import make_report, render
from reports.text import percent
from store.records import insert_once
from store.schema import reviews

DEFAULT_RECIPIENTS = "support-managers@support.example.com"


def review_recipients() -> list[str]:
    raw = os.environ.get("REVIEW_RECIPIENTS") or DEFAULT_RECIPIENTS
    return [address.strip() for address in raw.split(",") if address.strip()]


class ReviewPeriod(BaseModel):
    review_id: str
    since: datetime
    until: datetime


class Review(BaseModel):
    review_id: str
    subject: str
    text: str
    tickets: int


class ReviewActivities:
    def __init__(
        self,
        engine: Engine,
        sender: NotificationDelivery,
        recipients: list[str],
        policy: EscalationPolicy,
    ) -> None:
        self._engine = engine
        self._sender = sender
        self._recipients = recipients
        self._policy = policy  # the worker's: business time is counted on its calendars

    @activity.defn(name="record_review")
    def record_review(self, period: ReviewPeriod) -> Review:
        """The report of the period, kept in `reviews` once per review id."""
        report = make_report(self._engine, period.since, period.until, self._policy)
        with self._engine.begin() as connection:
            insert_once(connection, reviews, {**period.model_dump(), "report": report})
        return Review(
            review_id=period.review_id,
            subject=(
                f"Weekly escalation review {period.since:%Y-%m-%d} to {period.until:%Y-%m-%d}: "
                f"{report['tickets']} tickets, {percent(report['escalation_rate'])} escalated, "
                f"{percent(report['sla_breach_rate'])} breached an SLA"
            ),
            text=render(report, "table"),
            tickets=report["tickets"],
        )

    @activity.defn(name="email_review")
    def email_review(self, review: Review) -> int:
        """One email per manager through the notification sender (the outbox until providers
        are configured); ids are per review and recipient, so retries do not send twice."""
        for recipient in self._recipients:
            self._sender.deliver(
                OutgoingMessage(
                    notification_id=f"{review.review_id}:email:{recipient}",
                    ticket_id=review.review_id,
                    channel="email",
                    audience="team",
                    recipient=recipient,
                    kind="weekly_review",
                    level=0,  # not a ticket: no level or priority applies
                    priority="P4",
                    subject=review.subject,
                    body=review.text,
                )
            )
        return len(self._recipients)

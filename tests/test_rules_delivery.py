"""What the core decides when a delivery ends: outcomes in the record, fallbacks after a permanent
failure, storm digests. (tests/test_delivery.py runs the providers' side on a server.)"""

from datetime import timedelta

from activities.messages import DeliveryReceipt, DigestRequest, OutgoingMessage
from contract.notification_ids import NotificationId
from procedure.effects import Notify, SendDigest
from procedure.events import DeliveryReported, DigestSent
from tests.helpers import L4_EMAIL, L4_PHONE, sent
from tests.procedure_driver import POLICY, Ticket


def test_a_notification_id_names_the_decision_that_sent_it():
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    assert NotificationId.parse(phone.notification_id) == NotificationId(
        ticket_id="T-1", seq=2, kind="new_ticket", level=4, channel="phone", audience="team"
    )


def test_a_delivery_outcome_is_kept_in_the_record():
    ticket = Ticket(priority="P4", category="password_resets")
    [email] = ticket.messages("new_ticket")
    assert [n.status for n in sent(ticket.record, "new_ticket")] == ["pending"]
    assert ticket.deliver(email) == []
    [entry] = sent(ticket.record, "new_ticket")
    assert (entry.status, entry.provider_id) == ("sent", "p-1")


def test_a_failed_phone_page_falls_back_to_sms_and_email_and_alerts_the_dashboard():
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    effects = ticket.fail(phone)
    fallbacks = [e.message for e in effects if isinstance(e, Notify)]
    assert [(m.channel, m.recipient, m.kind) for m in fallbacks] == [
        ("sms", L4_PHONE, "new_ticket"),
        ("email", L4_EMAIL, "new_ticket"),
        ("dashboard", "L4 dashboard", "phone_delivery_failed"),
    ]
    assert fallbacks[0].notification_id == f"{phone.notification_id}:fallback:sms"
    [failed] = [n for n in ticket.record.notifications if n.status == "failed"]
    assert (failed.notification_id, failed.error) == (phone.notification_id, "400 invalid number")
    assert ticket.record.timeline[-1].reason == "phone_failed"
    assert ticket.record.dashboard_alerts[-1] == "phone_delivery_failed"


def test_a_fallback_does_not_fall_back_again():
    ticket = Ticket(priority="P1", category=None)
    ticket.fail(ticket.messages("new_ticket")[0])
    sms = ticket.messages("new_ticket")[-2]
    assert sms.channel == "sms"
    channels = [e.message.channel for e in ticket.fail(sms) if isinstance(e, Notify)]
    assert channels == ["dashboard"]


def test_a_message_held_by_the_storm_limit_goes_out_in_a_digest_at_the_window_end():
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    [digest] = [e for e in ticket.deliver(phone, "throttled") if isinstance(e, SendDigest)]
    assert digest == SendDigest(
        DigestRequest(
            digest_id=f"{phone.notification_id}:digest", email=L4_EMAIL, level=4, priority="P1"
        ),
        after=POLICY.delivery.throttle_window,
    )
    ticket.now += timedelta(minutes=15)
    receipt = DeliveryReceipt(status="sent", provider_id="sg-1")
    ticket.send(DigestSent(request=digest.request, receipt=receipt))
    [entry] = sent(ticket.record, "digest")
    assert (entry.recipient, entry.status, entry.at) == (L4_EMAIL, "sent", ticket.now)


def test_a_digest_that_found_nothing_left_to_send_is_not_recorded():
    ticket = Ticket(priority="P1", category=None)
    [digest] = [
        e
        for e in ticket.deliver(ticket.messages("new_ticket")[0], "throttled")
        if isinstance(e, SendDigest)
    ]
    ticket.send(DigestSent(request=digest.request, receipt=None))
    assert sent(ticket.record, "digest") == []


def test_a_page_failing_after_resolution_pages_nobody_else():
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    ticket.act("resolve", by="sam", resolution="Restarted the service")
    effects = ticket.fail(phone)
    [alert] = [e.message for e in effects if isinstance(e, Notify)]
    assert (alert.channel, alert.kind) == ("dashboard", "phone_delivery_failed")
    assert "The ticket is resolved: no fallback was sent." in alert.body


def report(ticket: Ticket, notification_id: str, outcome: str) -> list[Notify]:
    event = DeliveryReported(notification_id=notification_id, outcome=outcome, detail="carrier")
    return [e for e in ticket.send(event) if isinstance(e, Notify)]


NO_CALL_RETRIES = POLICY.model_copy(
    update={"delivery": POLICY.delivery.model_copy(update={"call_retries": 0})}
)
MINUTE = timedelta(minutes=1)


def phone_calls(messages: list[OutgoingMessage]) -> list[str]:
    return [m.notification_id for m in messages if m.channel == "phone"]


def test_an_unanswered_page_is_called_again_per_policy_then_falls_back_to_sms_and_email():
    assert (POLICY.delivery.call_retries, POLICY.delivery.call_retry_after) == (2, MINUTE)
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    ticket.deliver(phone)
    assert report(ticket, phone.notification_id, "no-answer") == []
    [entry] = [n for n in ticket.record.notifications if n.notification_id == phone.notification_id]
    assert (entry.status, entry.retry_at) == ("failed", ticket.now + MINUTE)
    assert ticket.record.deadlines.call_retry == ticket.now + MINUTE
    assert "call 1 of 3 unanswered" in (ticket.record.timeline[-1].details or "")

    ticket.wait(MINUTE - timedelta(seconds=1))
    assert phone_calls(ticket.messages()) == [phone.notification_id]  # not yet
    ticket.wait(timedelta(seconds=1))
    second = f"{phone.notification_id}:call:2"
    assert phone_calls(ticket.messages()) == [phone.notification_id, second]
    [again] = [m for m in ticket.messages() if m.notification_id == second]
    assert (again.recipient, again.subject) == (L4_PHONE, "New ticket - Ticket #T-1, call 2 of 3")
    ticket.deliver(again)
    assert report(ticket, second, "busy") == []
    ticket.wait(MINUTE)
    third = f"{phone.notification_id}:call:3"
    assert phone_calls(ticket.messages())[-1] == third
    assert ticket.record.deadlines.call_retry is None
    [last] = [m for m in ticket.messages() if m.notification_id == third]
    ticket.deliver(last)
    fallbacks = report(ticket, third, "no-answer")
    assert [(n.message.channel, n.message.recipient) for n in fallbacks] == [
        ("sms", L4_PHONE),
        ("email", L4_EMAIL),
        ("dashboard", "L4 dashboard"),
    ]
    calls = [n for n in ticket.record.notifications if n.channel == "phone"]
    assert [(n.call, n.status) for n in calls] == [(1, "failed"), (2, "failed"), (3, "failed")]


def test_a_page_acknowledged_before_its_call_again_is_not_called_again_nor_falls_back():
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    ticket.deliver(phone)
    report(ticket, phone.notification_id, "no-answer")
    ticket.act("acknowledge", agent="eng-oncall")
    before = len(ticket.messages())
    ticket.wait(MINUTE)
    assert ticket.messages()[before:] == []
    [entry] = [n for n in ticket.record.notifications if n.notification_id == phone.notification_id]
    assert entry.retry_at is None and entry.error == "phone no-answer: carrier; not called again"


def test_an_unanswered_page_reported_later_falls_back_to_sms_and_email_without_retries():
    ticket = Ticket(NO_CALL_RETRIES, priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    ticket.deliver(phone)
    fallbacks = report(ticket, phone.notification_id, "no-answer")
    assert [(n.message.channel, n.message.recipient) for n in fallbacks] == [
        ("sms", L4_PHONE),
        ("email", L4_EMAIL),
        ("dashboard", "L4 dashboard"),
    ]
    [entry] = [n for n in ticket.record.notifications if n.notification_id == phone.notification_id]
    assert (entry.status, entry.error) == ("failed", "phone no-answer: carrier")


def test_a_bounced_customer_email_is_on_the_timeline_and_the_dashboard():
    ticket = Ticket(priority="P4", category="password_resets")
    ticket.search_done()
    [ack] = ticket.messages("acknowledgment", "customer")
    ticket.deliver(ack)
    alerts = report(ticket, ack.notification_id, "bounce")
    assert [n.message.kind for n in alerts] == ["email_delivery_failed"]
    assert ticket.record.timeline[-1].reason == "email_failed"


def test_the_first_reported_outcome_is_final_duplicates_and_late_reports_change_nothing():
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    ticket.deliver(phone)
    assert report(ticket, phone.notification_id, "delivered") == []
    before = ticket.record
    assert report(ticket, phone.notification_id, "delivered") == []
    assert report(ticket, phone.notification_id, "busy") == []
    assert report(ticket, "T-1:99:nothing:L1:email:team", "bounce") == []
    assert ticket.record == before
    assert [n.status for n in sent(ticket.record, "new_ticket") if n.channel == "phone"] == [
        "delivered"
    ]


def test_a_report_that_comes_before_the_receipt_stands():
    ticket = Ticket(priority="P1", category=None)
    phone = ticket.messages("new_ticket")[0]
    report(ticket, phone.notification_id, "delivered")
    ticket.deliver(phone)
    [entry] = [n for n in ticket.record.notifications if n.notification_id == phone.notification_id]
    assert entry.status == "delivered"

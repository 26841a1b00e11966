"""SLA clocks: acknowledgment and response deadlines, priority targets, L4 re-alerts."""

from datetime import timedelta

from contract import search_attributes as sa
from tests.conftest import Service
from tests.helpers import events, eventually, sent, start, status

MINUTE = timedelta(minutes=1)


async def test_missed_acknowledgment_breaches_alerts_and_escalates_one_level(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    opened = (await status(handle)).opened_at
    await service.env.sleep(timedelta(hours=2) + MINUTE)
    record = await eventually(handle, lambda r: bool(sent(r, "handoff")))
    assert record.level == 2
    [breach] = record.breaches
    assert (breach.metric, breach.level, breach.due) == (
        "acknowledgment",
        1,
        opened + timedelta(hours=2),
    )
    assert record.sla_breached
    assert [n.channel for n in sent(record, "sla_breach")] == ["dashboard"]
    [handoff] = record.handoffs
    assert (handoff.from_level, handoff.to_level, handoff.reason) == (
        1,
        2,
        "acknowledgment_sla_missed",
    )
    assert handoff.triggered_at == breach.due
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(sa.SLA_BREACHED) is True and attributes.get(sa.TICKET_LEVEL) == 2


async def test_acknowledgment_in_time_stops_the_acknowledgment_clock(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    await service.env.sleep(timedelta(hours=1))
    await handle.signal("acknowledge", {"agent": "sam"})
    await service.env.sleep(timedelta(hours=2))
    record = await status(handle)
    assert (record.level, record.breaches, record.state) == (1, [], "acknowledged")
    assert record.deadlines.acknowledgment is None
    assert record.deadlines.response == record.opened_at + timedelta(hours=24)


async def test_response_deadline_is_the_stricter_window_and_a_miss_escalates(service: Service):
    handle = await start(service, priority="P2", category="api_integration_problems")
    await handle.signal("acknowledge", {"agent": "sam"})
    record = await status(handle)
    assert record.deadlines.response == record.opened_at + timedelta(hours=1)  # P2 1h < L2 4h
    await service.env.sleep(timedelta(hours=1) + MINUTE)
    record = await eventually(handle, lambda r: r.level == 3)
    assert [b.metric for b in record.breaches] == ["response"]
    assert record.handoffs[0].reason == "response_sla_missed"


async def test_respond_meets_the_response_deadline(service: Service):
    handle = await start(service, priority="P3", category="performance_issues")
    await handle.signal("respond", {"agent": "sam", "message": "Looking into it"})
    record = await eventually(handle, lambda r: r.first_response_at is not None)
    assert record.deadlines.response is None and record.deadlines.acknowledgment is None
    assert record.state == "acknowledged"
    assert record.timeline[-1].reason == "response_met"


async def test_unrelated_events_never_reset_a_running_deadline(service: Service):
    handle = await start(service, priority="P4", category="password_resets")
    before = (await status(handle)).deadlines
    await service.env.sleep(timedelta(minutes=30))
    await handle.signal(
        "resolution_attempt", {"agent": "sam", "action": "sent link", "succeeded": True}
    )
    record = await eventually(handle, lambda r: bool(r.attempts))
    assert record.deadlines.acknowledgment == before.acknowledgment
    assert record.deadlines.response == before.response


async def test_p2_unresolved_two_hours_after_opening_reaches_level_three(service: Service):
    handle = await start(service, priority="P2", category="password_resets")
    await handle.signal("respond", {"agent": "sam", "message": "On it"})
    record = await status(handle)
    assert record.deadlines.escalation == record.opened_at + timedelta(hours=2)
    await service.env.sleep(timedelta(hours=2) + MINUTE)
    record = await eventually(handle, lambda r: r.level == 3)
    assert record.handoffs[-1].reason == "P2_unresolved_after_2 hours"
    assert record.handoffs[-1].from_level == 1


async def test_p3_unresolved_a_day_after_opening_reaches_level_two(service: Service):
    handle = await start(service, priority="P3", category="basic_billing_questions")
    await service.env.sleep(timedelta(hours=1))
    await handle.signal("respond", {"agent": "sam", "message": "Checking"})  # L1's clocks met
    await service.env.sleep(timedelta(hours=22))
    record = await status(handle)
    assert record.level == 1
    await service.env.sleep(timedelta(hours=1) + MINUTE)
    record = await eventually(handle, lambda r: r.level == 2)
    assert record.handoffs[-1].reason == "P3_unresolved_after_1 day"
    assert record.breaches == []


async def test_level_four_re_alerts_every_response_window_until_acknowledged(service: Service):
    handle = await start(service, priority="P1", category=None)
    await service.env.sleep(timedelta(minutes=15) + MINUTE)
    record = await eventually(handle, lambda r: "realerted" in events(r))
    assert record.level == 4 and [b.metric for b in record.breaches] == ["response"]
    await service.env.sleep(timedelta(minutes=30))
    record = await eventually(handle, lambda r: events(r).count("realerted") >= 3)
    assert events(record).count("realerted") == 3
    assert {n.channel for n in sent(record, "realert")} == {"phone", "email", "dashboard"}
    manager = service.policy.levels[4].manager
    assert manager and [n.recipient for n in sent(record, "realert_manager")] == [manager.email] * 3
    await handle.signal("acknowledge", {"agent": "eng-oncall"})
    await eventually(handle, lambda r: r.state == "acknowledged")
    await service.env.sleep(timedelta(hours=1))
    record = await status(handle)
    assert events(record).count("realerted") == 3
    assert record.deadlines.realert is None

"""TicketWorkflow: one support ticket, its SLA clocks and its escalations, as a durable workflow.

Signal and update handlers decide synchronously (no awaits while the record changes) and leave
deliveries to background activities, so a slow provider never delays a deadline."""

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.knowledge_base import KbQuery, KnowledgeBaseActivities
    from activities.messages import DigestRequest, HandoffRecord, OutgoingMessage
    from activities.notifications import NotificationActivities
    from activities.policy import PolicyActivities
    from activities.records import EventBatch, EventRecord, RecordActivities
    from contract import search_attributes as sa
    from contract.notification_ids import NotificationId, digest_id, fallback_id
    from contract.payloads import InvalidInput, decode_raw, validate_single
    from contract.signals import (
        SIGNAL_INPUTS,
        AcknowledgeInput,
        CustomerMessageInput,
        EscalateInput,
        ReopenInput,
        ResolutionAttemptInput,
        ResolveInput,
        RespondInput,
        SurveyResponseInput,
    )
    from contract.status import (
        ActionOutcome,
        Attempt,
        Breach,
        BreachMetric,
        Handoff,
        NotificationEntry,
        Survey,
        TicketRecord,
        TimelineEntry,
    )
    from contract.ticket_input import Continuation, TicketInput
    from contract.tickets import TicketState
    from policy.models import Channel, EscalationPolicy, PriorityName
    from procedure import message_texts as texts
    from procedure import routing
    from procedure.handoff_templates import render_handoff
    from procedure.ui_details import current_details, delivery_summary, timer_summary

DONE = (TicketState.RESOLVED, TicketState.CLOSED)
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# Where a permanently failed notification goes instead (SMS to the same number, email to the
# recipient's address). Fallbacks do not fall back again: phone already tries both.
FALLBACKS: dict[str, tuple[Channel, ...]] = {"phone": ("sms", "email"), "sms": ("email",)}
# Unlimited attempts: a store outage delays records, never drops them.
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# The search only adds links to the acknowledgment: never hold that back for long.
KB_SEARCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2)
SYSTEM = "system"


@workflow.defn(name="TicketWorkflow")
class TicketWorkflow:
    def __init__(self) -> None:
        self._policy: EscalationPolicy | None = None
        self._ticket: TicketRecord | None = None
        self._wake = False
        self._in_flight = 0
        self._published: dict[str, object] = {}
        self._intake_at: datetime | None = None
        self._unrecorded = EventBatch(events=[])

    # ----------------------------------------------------------------- lifecycle

    @workflow.run
    async def run(self, *args: Any) -> TicketRecord:
        ticket = self._decode_start(args)
        if ticket.continued:
            self._policy, self._ticket = ticket.continued.policy, ticket.continued.record
        else:
            self._intake_at = workflow.info().workflow_start_time
            self._policy = await workflow.execute_local_activity_method(
                PolicyActivities.current_policy,
                start_to_close_timeout=timedelta(seconds=10),
                summary="Load escalation policy",
            )
            self._check_category(ticket.category)
            self._intake(ticket)
            self._intake_at = None
        self._publish()
        while self.t.state != TicketState.CLOSED:
            if workflow.info().is_continue_as_new_suggested():
                await self._settle()
                workflow.continue_as_new(self._continuation())
            await self._sleep_until_next_deadline()
            self._fire_due_deadlines()
            self._publish()
        await self._settle()
        return self.t

    def _decode_start(self, args: Sequence[Any]) -> TicketInput:
        """A start input that cannot be a ticket fails the workflow at once, naming why. The
        SDK has decoded the JSON (a run taking *args gets every argument, typed by no hint)."""
        try:
            return validate_single(args, TicketInput, "input")
        except InvalidInput as err:
            raise ApplicationError(
                str(err), type="InvalidTicketInput", non_retryable=True
            ) from None

    @workflow.query
    def status(self) -> TicketRecord:
        return self.t

    def _now(self) -> datetime:
        """The ticket's clock. Intake runs on the instant the ticket was submitted (the start
        event's time, a fact of the history): the first workflow task may be split or retried
        around the policy's local activity, and a replay must compute the same deadlines."""
        return self._intake_at or workflow.now()

    @property
    def t(self) -> TicketRecord:
        if self._ticket is None:
            raise ApplicationError("ticket is still opening", type="TicketNotReady")
        return self._ticket

    @property
    def policy(self) -> EscalationPolicy:
        assert self._policy is not None
        return self._policy

    def _check_category(self, category: str | None) -> None:
        if category and category not in self.policy.categories:
            raise ApplicationError(
                f"category: {category!r} is not one of {', '.join(self.policy.categories)}",
                type="InvalidTicketInput",
                non_retryable=True,
            )

    async def _settle(self) -> None:
        await workflow.wait_condition(
            lambda: self._in_flight == 0 and workflow.all_handlers_finished()
        )

    def _continuation(self) -> TicketInput:
        t = self.t
        return TicketInput(
            ticket_id=t.ticket_id,
            customer=t.customer,
            subject=t.subject,
            description=t.description,
            priority=t.priority,
            category=t.category,
            continued=Continuation(record=t, policy=self.policy),
        )

    # ----------------------------------------------------------------- clocks

    async def _sleep_until_next_deadline(self) -> None:
        name, due = self._next_deadline()
        self._wake = False
        if due is None:
            await workflow.wait_condition(lambda: self._wake)
            return
        timeout = due - self._now()
        if timeout <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._wake,
                timeout=timeout,
                timeout_summary=timer_summary(self.t, name),
            )

    def _next_deadline(self) -> tuple[str, datetime | None]:
        running = [(due, name) for name, due in self.t.deadlines if due is not None]
        if not running:
            return "", None
        due, name = min(running)
        return name, due

    def _fire_due_deadlines(self) -> None:
        handlers: dict[str, Callable[[datetime], None]] = {
            "acknowledgment": lambda due: self._missed("acknowledgment", due),
            "response": lambda due: self._missed("response", due),
            "escalation": self._priority_target_reached,
            "realert": self._realert,
            "customer_update": self._customer_update_due,
            "check_in": self._check_in_due,
            "close": lambda _due: self._close("follow_up_window_ended", SYSTEM),
        }
        for name, handler in handlers.items():
            due = getattr(self.t.deadlines, name)
            if due is not None and due <= self._now():
                setattr(self.t.deadlines, name, None)
                handler(due)

    def _start_level_clocks(self) -> None:
        t, now = self.t, self._now()
        level = self.policy.levels[t.level]
        t.level_since = now
        t.failed_attempts_at_level = 0
        t.state = TicketState.OPEN
        t.deadlines.acknowledgment = None if level.pages_at_once else now + level.acknowledge_within
        t.deadlines.response = now + self.policy.response_window(t.level, t.priority)
        t.deadlines.realert = None
        self._refresh_escalation_deadline()

    def _refresh_escalation_deadline(self) -> None:
        """P2 must reach L3 within 2h, P3 L2 within 24h, of opening; paused time excluded."""
        t = self.t
        rule = self.policy.priorities[t.priority]
        waiting = rule.escalate_within > timedelta(0) and t.level < rule.escalate_to_level
        active = t.state not in DONE and t.paused_since is None
        t.deadlines.escalation = (
            t.opened_at + rule.escalate_within + t.paused_total if waiting and active else None
        )

    def _pause(self) -> None:
        t, now = self.t, self._now()
        t.paused_since = now
        t.state = TicketState.AWAITING_CUSTOMER
        if t.deadlines.customer_update is not None:
            t.update_remaining = t.deadlines.customer_update - now
            t.deadlines.customer_update = None
        self._refresh_escalation_deadline()
        self._log("paused", SYSTEM, reason="awaiting_customer")

    def _resume(self) -> None:
        t, now = self.t, self._now()
        if t.paused_since is None:
            return
        self._log(
            "resumed", SYSTEM, details=f"paused {texts.format_duration(now - t.paused_since)}"
        )
        t.paused_total += now - t.paused_since
        t.paused_since = None
        t.state = TicketState.ACKNOWLEDGED
        t.deadlines.customer_update = now + (
            t.update_remaining or self.policy.customer_update_every
        )
        t.update_remaining = None
        self._refresh_escalation_deadline()

    # ----------------------------------------------------------------- intake

    def _intake(self, ticket: TicketInput) -> None:
        policy, now = self.policy, self._now()
        routed = routing.route(
            policy,
            routing.intake_text(ticket.subject, ticket.description),
            ticket.priority,
            ticket.category,
        )
        keywords, security, priority = routed.keywords, routed.security, routed.priority
        self._ticket = TicketRecord(
            ticket_id=ticket.ticket_id,
            customer=ticket.customer,
            subject=ticket.subject,
            description=ticket.description,
            category=ticket.category,
            priority=priority,
            priority_source="caller" if ticket.priority else "assessed",
            level=routed.level,
            state=TicketState.OPEN,
            opened_at=now,
            level_since=now,
            seen_keywords=keywords + security,
        )
        self._log("opened", "customer", details=ticket.subject)
        if routed.raised:
            self._log(
                "priority_raised",
                SYSTEM,
                reason=f"critical_keyword:{','.join(keywords)}",
                details=f"{ticket.priority} -> {priority}",
            )
        self._log("routed", SYSTEM, reason=self._routing_reason(ticket, priority, security))
        self._start_level_clocks()
        self.t.deadlines.customer_update = now + policy.customer_update_every
        self._spawn(self._suggest_and_acknowledge(seq=len(self.t.timeline)))
        self._notify_level("new_ticket", *texts.team_new_ticket(self.t))

    async def _suggest_and_acknowledge(self, seq: int) -> None:
        """Check the knowledge base, then acknowledge with the articles written for this kind of
        issue; agents see every match in the status. A failed search only drops the links."""
        t = self.t
        try:
            t.kb_matches = await workflow.execute_activity_method(
                KnowledgeBaseActivities.search_knowledge_base,
                KbQuery(text=f"{t.subject}\n{t.description}", category=t.category),
                start_to_close_timeout=timedelta(seconds=5),
                schedule_to_close_timeout=timedelta(seconds=10),
                retry_policy=KB_SEARCH_RETRY,
                summary="Search the knowledge base",
            )
        except ActivityError as err:
            workflow.logger.warning("knowledge base search failed ticket=%s: %s", t.ticket_id, err)
        self._notify_customer("acknowledgment", *texts.customer_acknowledgment(t), seq=seq)

    def _routing_reason(self, ticket: TicketInput, priority: str, security: list[str]) -> str:
        reasons = [f"priority {priority} ({self.t.priority_source})"]
        if ticket.category:
            reasons.append(
                f"category {ticket.category} is L{self.policy.category_level(ticket.category)}"
            )
        reasons.append(
            f"{priority} demands L{routing.immediate_level(self.policy, self.t.priority)} at once"
        )
        if security:
            reasons.append(
                f"security concern ({', '.join(security)}) needs L{self.policy.security_min_level}+"
            )
        return f"L{self.t.level}: " + "; ".join(reasons)

    # ----------------------------------------------------------------- escalation

    def _escalate(
        self,
        to_level: int,
        reason: str,
        by: str,
        note: str | None = None,
        triggered_at: datetime | None = None,
    ) -> None:
        """Hand the ticket to a higher level: new clocks, template, record and notifications."""
        t, now = self.t, self._now()
        from_level, to_level = t.level, min(to_level, 4)
        if to_level <= from_level:
            return
        self._resume()
        t.level = to_level
        self._start_level_clocks()
        window = self.policy.response_window(t.level, t.priority)
        t.deadlines.check_in = now + window * self.policy.check_in_fraction
        subject, body = render_handoff(self.policy, t, to_level, reason, note, t.deadlines.response)
        handoff = Handoff(
            from_level=from_level,
            to_level=to_level,
            reason=reason,
            by=by,
            triggered_at=triggered_at or now,
            at=now,
            subject=subject,
            template=body,
        )
        t.handoffs.append(handoff)
        entry = self._log(
            "escalated",
            by,
            reason=reason,
            details=f"L{from_level} -> L{to_level}" + (f": {note}" if note else ""),
        )
        self._record_handoff(handoff, entry.seq)
        self._notify_level("handoff", subject, body, seq=entry.seq)
        self._notify_customer(
            "escalation_notice", *texts.customer_escalation_notice(t), seq=entry.seq
        )

    def _missed(self, metric: BreachMetric, due: datetime) -> None:
        t = self.t
        t.breaches.append(Breach(metric=metric, level=t.level, due=due, at=self._now()))
        t.sla_breached = True
        entry = self._log(
            "breached",
            SYSTEM,
            reason=f"{metric}_sla_missed",
            details=f"L{t.level} {metric} was due {texts.when(due)}",
        )
        self._alert_dashboard("sla_breach", *texts.team_breach_alert(t, metric, due), seq=entry.seq)
        if t.level < 4:
            self._escalate(t.level + 1, f"{metric}_sla_missed", SYSTEM, triggered_at=due)
            return
        # Nothing above L4: keep paging it every response window until someone acknowledges.
        t.state = TicketState.OPEN
        t.deadlines.acknowledgment = t.deadlines.response = None
        self._realert(due)

    def _realert(self, due: datetime) -> None:
        t = self.t
        t.deadlines.realert = due + self.policy.response_window(t.level, t.priority)
        entry = self._log("realerted", SYSTEM, reason="l4_unacknowledged_after_breach")
        self._notify_level("realert", *texts.team_realert(t), seq=entry.seq)
        manager = self.policy.levels[t.level].manager
        if manager:  # an unanswered page goes up the management chain too
            self._send(
                "email", "team", manager.email, "realert_manager", *texts.team_realert(t), entry.seq
            )

    def _priority_target_reached(self, due: datetime) -> None:
        rule = self.policy.priorities[self.t.priority]
        window = texts.format_duration(rule.escalate_within)
        self._escalate(
            rule.escalate_to_level,
            f"{self.t.priority}_unresolved_after_{window}",
            SYSTEM,
            triggered_at=due,
        )

    def _raise_priority(self, priority: PriorityName, reason: str) -> None:
        t = self.t
        old, t.priority = t.priority, priority
        self._log("priority_raised", SYSTEM, reason=reason, details=f"{old} -> {priority}")
        window = self.policy.response_window(t.level, priority)
        if t.deadlines.response is not None:
            t.deadlines.response = min(t.deadlines.response, t.level_since + window)
        self._refresh_escalation_deadline()

    # ----------------------------------------------------------------- timers

    def _customer_update_due(self, due: datetime) -> None:
        if self.t.state in DONE:
            return
        # Anchored on the due instant, not on when the timer fired: no drift over days.
        self.t.deadlines.customer_update = due + self.policy.customer_update_every
        entry = self._log("status_update", SYSTEM, reason="customer_update_cadence")
        self._notify_customer(
            "status_update", *texts.customer_status_update(self.t, self.policy), seq=entry.seq
        )

    def _check_in_due(self, _due: datetime) -> None:
        if self.t.deadlines.response is None:
            return
        entry = self._log("check_in", SYSTEM, reason="handoff_follow_up")
        self._notify_level(
            "check_in", *texts.team_check_in(self.t), seq=entry.seq, channels=["email"]
        )

    def _close(self, reason: str, by: str) -> None:
        t = self.t
        t.state = TicketState.CLOSED
        t.closed_at = self._now()
        for name, _ in t.deadlines:
            setattr(t.deadlines, name, None)
        self._log("closed", by, reason=reason)

    def _reactivate(self, by: str, reason: str) -> None:
        t = self.t
        # Time spent resolved counts like time waiting on the customer: reopened tickets
        # must not escalate instantly on a priority target that ran out meanwhile.
        if t.resolved_at is not None:
            t.paused_total += self._now() - t.resolved_at
        t.resolved_at = None
        t.deadlines.close = None
        self._start_level_clocks()
        t.deadlines.customer_update = self._now() + self.policy.customer_update_every
        entry = self._log("reopened", by, reason=reason)
        self._notify_level("reopened", *texts.team_reopened(t, reason), seq=entry.seq)

    # ----------------------------------------------------------------- actions

    def _check(self, name: str, payload: BaseModel) -> str | None:
        """Why an action does not apply to the ticket now, or None when it does."""
        state = self.t.state
        if state == TicketState.CLOSED:
            return "ticket is closed"
        if name == "reopen":
            return (
                None
                if state == TicketState.RESOLVED
                else f"only a resolved ticket can be reopened (state {state})"
            )
        if name == "survey_response":
            return None if state == TicketState.RESOLVED else f"no survey pending (state {state})"
        if name == "customer_message":
            return None
        if state == TicketState.RESOLVED:
            return "ticket is resolved; reopen it first"
        if name == "acknowledge" and state != TicketState.OPEN:
            return f"already acknowledged at L{self.t.level}"
        if isinstance(payload, EscalateInput):
            return self._check_escalation(payload)
        return None

    def _check_escalation(self, payload: EscalateInput) -> str | None:
        level = self.t.level
        if payload.to_level is None:
            return "already at level 4, the highest" if level >= 4 else None
        if not level < payload.to_level <= 4:
            return (
                f"to_level {payload.to_level} out of range: "
                f"must be above the current level {level} and at most 4"
            )
        return None

    def _apply(self, name: str, payload: BaseModel) -> TimelineEntry:
        actions: dict[str, Callable[[Any], TimelineEntry]] = {
            "acknowledge": self._acknowledge,
            "respond": self._respond,
            "resolution_attempt": self._resolution_attempt,
            "customer_message": self._customer_message,
            "escalate": self._manual_escalation,
            "resolve": self._resolve,
            "reopen": self._reopen_action,
            "survey_response": self._survey_response,
        }
        entry = actions[name](payload)
        self._publish()
        self._wake = True
        return entry

    def _acknowledge(self, payload: AcknowledgeInput) -> TimelineEntry:
        t = self.t
        t.state = TicketState.ACKNOWLEDGED
        t.deadlines.acknowledgment = t.deadlines.realert = None
        t.first_acknowledged_at = t.first_acknowledged_at or self._now()
        return self._log("acknowledged", payload.agent, reason="acknowledgment_met")

    def _respond(self, payload: RespondInput) -> TimelineEntry:
        t, now = self.t, self._now()
        met = t.deadlines.response is not None
        t.deadlines.acknowledgment = t.deadlines.response = t.deadlines.realert = None
        t.deadlines.check_in = None
        t.first_acknowledged_at = t.first_acknowledged_at or now
        t.first_response_at = t.first_response_at or now
        entry = self._log(
            "responded",
            payload.agent,
            reason="response_met" if met else None,
            details=payload.message[:500],
        )
        if t.paused_since is not None:
            self._resume()
        t.state = TicketState.ACKNOWLEDGED
        t.deadlines.customer_update = now + self.policy.customer_update_every
        if payload.awaiting_customer:
            self._pause()
        return entry

    def _resolution_attempt(self, payload: ResolutionAttemptInput) -> TimelineEntry:
        t = self.t
        t.attempts.append(
            Attempt(
                agent=payload.agent,
                action=payload.action,
                succeeded=payload.succeeded,
                level=t.level,
                at=self._now(),
            )
        )
        entry = self._log(
            "resolution_attempt",
            payload.agent,
            reason="succeeded" if payload.succeeded else "failed",
            details=payload.action,
        )
        if not payload.succeeded:
            t.failed_attempts_at_level += 1
            if t.failed_attempts_at_level >= self.policy.failed_attempt_limit and t.level < 4:
                self._escalate(t.level + 1, "failed_attempt_limit", SYSTEM)
        return entry

    def _customer_message(self, payload: CustomerMessageInput) -> TimelineEntry:
        t, policy = self.t, self.policy
        entry = self._log("customer_message", "customer", details=payload.message[:500])
        if t.state == TicketState.RESOLVED:
            self._reactivate("customer", "customer_replied_within_follow_up_window")
        self._resume()
        target, reasons = t.level, []
        if payload.requests_escalation:
            target, reasons = t.level + 1, ["customer_request"]
        keywords = [
            k
            for k in routing.critical_keywords(policy, payload.message)
            if k not in t.seen_keywords
        ]
        security = [
            k for k in routing.security_concern(policy, payload.message) if k not in t.seen_keywords
        ]
        t.seen_keywords += keywords + security
        if keywords:
            implied = routing.keyword_priority(policy, keywords)
            if implied and routing.is_more_urgent(implied, t.priority):
                self._raise_priority(implied, f"critical_keyword:{','.join(keywords)}")
            target = max(target, t.level + 1, routing.immediate_level(policy, t.priority))
            reasons.append(f"critical_keyword:{','.join(keywords)}")
        if security:
            target = max(target, policy.security_min_level)
            reasons.append(f"security_concern:{','.join(security)}")
        if target > t.level and t.level < 4:
            self._escalate(target, "+".join(reasons), SYSTEM)
        elif t.deadlines.response is None:
            # Every customer message starts a new "next reply" deadline.
            t.deadlines.response = self._now() + policy.response_window(t.level, t.priority)
        return entry

    def _manual_escalation(self, payload: EscalateInput) -> TimelineEntry:
        target = payload.to_level or self.t.level + 1
        self._escalate(target, f"manual:{payload.reason}", payload.by, note=payload.note)
        return self.t.timeline[-1]

    def _resolve(self, payload: ResolveInput) -> TimelineEntry:
        t, now = self.t, self._now()
        self._resume()
        t.state = TicketState.RESOLVED
        t.resolved_at = now
        for name, _ in t.deadlines:
            setattr(t.deadlines, name, None)
        t.deadlines.close = now + self.policy.follow_up_window
        entry = self._log(
            "resolved", payload.by, details=payload.resolution[:500], article=payload.article
        )
        self._notify_customer(
            "resolution", *texts.customer_resolution(t, payload.resolution), seq=entry.seq
        )
        self._notify_customer("survey", *texts.customer_survey(t), seq=entry.seq)
        return entry

    def _reopen_action(self, payload: ReopenInput) -> TimelineEntry:
        self._reactivate(payload.by, payload.reason)
        return self.t.timeline[-1]

    def _survey_response(self, payload: SurveyResponseInput) -> TimelineEntry:
        t = self.t
        t.survey = Survey(score=payload.score, comment=payload.comment, at=self._now())
        entry = self._log(
            "survey_answered",
            "customer",
            reason=f"score {payload.score}",
            details=payload.comment,
            score=payload.score,
        )
        self._close("survey_answered", "customer")
        return entry

    # ----------------------------------------------------------------- handlers

    @workflow.signal(dynamic=True, description=f"An action: {', '.join(SIGNAL_INPUTS)}.")
    async def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Every action arrives here raw, whatever its name or payload: a bad one becomes a
        rejected timeline entry saying why, never a failed workflow task."""
        await workflow.wait_condition(lambda: self._ticket is not None)
        try:
            payload = self._decode(name, args)
        except InvalidInput as err:
            self._log(name, "unknown", reason=str(err), rejected=True)
            return
        reason = self._check(name, payload)
        if reason:
            self._log(name, _actor(payload), reason=reason, rejected=True)
            return
        self._apply(name, payload)

    def _decode(self, name: str, args: Sequence[RawValue]) -> BaseModel:
        model = SIGNAL_INPUTS.get(name)
        if model is None:
            raise InvalidInput(f"unknown action {name!r}; one of {', '.join(SIGNAL_INPUTS)}")
        values = decode_raw(workflow.payload_converter(), [arg.payload for arg in args])
        return validate_single(values, model, name)

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> ActionOutcome:
        """Every signal as an update too: the caller gets the outcome or the rejection."""
        entry = self._apply(name, self._decode(name, args))
        t = self.t
        return ActionOutcome(
            ticket_id=t.ticket_id,
            action=name,
            state=t.state,
            level=t.level,
            priority=t.priority,
            entry=entry,
        )

    @act.validator
    def _validate_act(self, name: str, args: Sequence[RawValue]) -> None:
        if name in SIGNAL_INPUTS and self._ticket is None:
            raise ApplicationError("ticket is still opening; try again", type="TicketNotReady")
        try:
            payload = self._decode(name, args)
        except InvalidInput as err:
            raise ApplicationError(str(err), type="InvalidInput", non_retryable=True) from None
        reason = self._check(name, payload)
        if reason:
            raise ApplicationError(reason, type="ActionNotApplicable", non_retryable=True)

    # ----------------------------------------------------------------- effects

    def _log(
        self,
        event: str,
        actor: str,
        reason: str | None = None,
        details: str | None = None,
        rejected: bool = False,
        **facts: int | str | None,
    ) -> TimelineEntry:
        """A timeline entry, also written to the system of record with facts (score, article)."""
        t = self.t
        entry = TimelineEntry(
            seq=len(t.timeline) + 1,
            at=self._now(),
            event=event,
            actor=actor,
            level=t.level,
            priority=t.priority,
            reason=reason,
            details=details,
            rejected=rejected,
        )
        t.timeline.append(entry)
        workflow.logger.info(
            "decision ticket=%s rule=%s level=L%s priority=%s actor=%s reason=%s%s",
            t.ticket_id,
            event,
            t.level,
            t.priority,
            actor,
            reason,
            " REJECTED" if rejected else "",
        )
        record = EventRecord(
            event_id=f"{t.ticket_id}:{entry.seq}",
            ticket_id=t.ticket_id,
            category=t.category,
            **entry.model_dump(),
            **facts,
        )
        self._unrecorded.events.append(record)
        self._record_when_decided()
        return entry

    def _record_when_decided(self) -> None:
        """The first entry or handoff of a decision schedules the write, which runs once the
        decision yields: everything it recorded goes out as one batch, in one transaction."""
        if len(self._unrecorded.events) + len(self._unrecorded.handoffs) == 1:
            self._spawn(self._record_pending())

    async def _record_pending(self) -> None:
        """Write to the system of record in the background, so timers never wait on it."""
        batch, self._unrecorded = self._unrecorded, EventBatch(events=[])
        summary = f"Record {len(batch.events)} event(s): {', '.join(e.event for e in batch.events)}"
        if batch.handoffs:
            summary += f"; {len(batch.handoffs)} handoff(s)"
        await workflow.execute_activity_method(
            RecordActivities.record_events,
            batch,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
            summary=summary,
        )

    def _notify_customer(self, kind: str, subject: str, body: str, seq: int | None = None) -> None:
        self._send("email", "customer", self.t.customer.email, kind, subject, body, seq)

    def _notify_level(
        self,
        kind: str,
        subject: str,
        body: str,
        seq: int | None = None,
        channels: list[Channel] | None = None,
    ) -> None:
        """Tell the current level's team on the priority's channels."""
        t = self.t
        contacts = self.policy.levels[t.level].contacts
        for channel in channels or self.policy.priorities[t.priority].channels:
            if channel == "email":
                self._send("email", "team", contacts.email, kind, subject, body, seq)
            elif channel == "dashboard":
                self._alert_dashboard(kind, subject, body, seq)
            elif contacts.phone:
                self._send(
                    channel, "team", contacts.phone, kind, subject, body, seq, email=contacts.email
                )

    def _alert_dashboard(self, kind: str, subject: str, body: str, seq: int | None = None) -> None:
        self.t.dashboard_alerts.append(kind)
        self._send("dashboard", "team", f"L{self.t.level} dashboard", kind, subject, body, seq)

    def _send(
        self,
        channel: Channel,
        audience: str,
        recipient: str,
        kind: str,
        subject: str,
        body: str,
        seq: int | None,
        email: str | None = None,
        replaces: NotificationEntry | None = None,
    ) -> None:
        t = self.t
        seq = seq or len(t.timeline)
        level = replaces.level if replaces else t.level
        notification_id = (
            fallback_id(replaces.notification_id, channel)
            if replaces
            else str(NotificationId(t.ticket_id, seq, kind, t.level, channel, audience))
        )
        entry = NotificationEntry(
            notification_id=notification_id,
            channel=channel,
            audience=audience,
            recipient=recipient,
            kind=kind,
            level=level,
            at=self._now(),
            fallback_for=replaces.notification_id if replaces else None,
        )
        t.notifications.append(entry)
        message = OutgoingMessage(
            notification_id=notification_id,
            ticket_id=t.ticket_id,
            channel=channel,
            audience=audience,
            recipient=recipient,
            kind=kind,
            level=level,
            priority=t.priority,
            subject=subject,
            body=body,
            summary=t.subject,
            email=email if channel != "email" else None,
        )
        self._spawn(self._deliver(entry, message))

    def _spawn(self, effect: Any) -> None:
        self._in_flight += 1
        task = asyncio.create_task(effect)
        task.add_done_callback(lambda _task: self._done())

    def _done(self) -> None:
        self._in_flight -= 1

    async def _deliver(self, entry: NotificationEntry, message: OutgoingMessage) -> None:
        try:
            receipt = await self._delivery_activity(
                NotificationActivities.send_notification,
                message,
                delivery_summary(message.channel, message.audience, message.level, message.kind),
            )
        except ActivityError as err:
            entry.status, entry.error = "failed", str(err.cause or err)
            self._fall_back(entry, message)
            return
        entry.status, entry.provider_id, entry.error = (
            receipt.status,
            receipt.provider_id,
            receipt.detail,
        )
        if receipt.status == "throttled" and message.email:
            await self._send_digest_later(message, message.email)

    async def _delivery_activity(self, method: Any, arg: BaseModel, summary: str) -> Any:
        """A provider call: one attempt within the policy's timeout, retried for up to a day."""
        return await workflow.execute_activity_method(
            method,
            arg,
            start_to_close_timeout=timedelta(seconds=self.policy.delivery.attempt_timeout_seconds),
            schedule_to_close_timeout=timedelta(days=1),
            retry_policy=DELIVERY_RETRY,
            summary=summary,
        )

    def _fall_back(self, entry: NotificationEntry, message: OutgoingMessage) -> None:
        """A permanent failure: the other channels take over and the dashboard says so."""
        t = self.t
        failed = self._log(
            "delivery_failed", SYSTEM, reason=f"{message.channel}_failed", details=entry.error
        )
        if entry.fallback_for is None:
            for channel in FALLBACKS.get(message.channel, ()):
                recipient = message.recipient if channel == "sms" else message.email
                if recipient:
                    self._send(
                        channel,
                        message.audience,
                        recipient,
                        message.kind,
                        message.subject,
                        message.body,
                        failed.seq,
                        email=message.email,
                        replaces=entry,
                    )
        self._alert_dashboard(
            f"{message.channel}_delivery_failed",
            *texts.team_delivery_failed(t, message.channel, message.kind, entry.error),
            seq=failed.seq,
        )
        self._publish()

    async def _send_digest_later(self, message: OutgoingMessage, email: str) -> None:
        """Held back by the storm limit: one digest to the recipient once the window ends.

        Every held message schedules one; the first to run takes all held so far, later ones
        find nothing left (the ledger binds each held message to one digest)."""
        await workflow.sleep(
            self.policy.delivery.throttle_window, summary="Storm limit: digest at window end"
        )
        request = DigestRequest(
            digest_id=digest_id(message.notification_id),
            email=email,
            level=message.level,
            priority=message.priority,
        )
        receipt = await self._delivery_activity(
            NotificationActivities.send_digest, request, f"Digest email to L{message.level} team"
        )
        if receipt is not None:
            self.t.notifications.append(
                NotificationEntry(
                    notification_id=request.digest_id,
                    channel="email",
                    audience="team",
                    recipient=email,
                    kind="digest",
                    level=message.level,
                    at=self._now(),
                    status=receipt.status,
                    provider_id=receipt.provider_id,
                    error=receipt.detail,
                )
            )

    def _record_handoff(self, handoff: Handoff, seq: int) -> None:
        record = HandoffRecord(
            handoff_id=f"{self.t.ticket_id}:{seq}:handoff",
            ticket_id=self.t.ticket_id,
            priority=self.t.priority,
            **handoff.model_dump(),
        )
        self._unrecorded.handoffs.append(record)
        self._record_when_decided()

    def _publish(self) -> None:
        """Search attributes (only when changed) and the UI's current details."""
        t = self.t
        values: list[tuple[Any, Any]] = [
            (sa.TICKET_PRIORITY, t.priority),
            (sa.TICKET_LEVEL, t.level),
            (sa.TICKET_STATE, t.state.value),
            (sa.SLA_BREACHED, t.sla_breached),
            (sa.TICKET_CATEGORY, t.category or "uncategorized"),
            (sa.NEXT_DEADLINE, self._next_deadline()[1]),
        ]
        if t.dashboard_alerts:  # an empty list would only add noise to every ticket's history
            values.append((sa.DASHBOARD_ALERTS, list(dict.fromkeys(t.dashboard_alerts))))
        changed = [(key, value) for key, value in values if self._published.get(key.name) != value]
        if changed:
            workflow.upsert_search_attributes(
                [key.value_set(v) if v is not None else key.value_unset() for key, v in changed]
            )
            self._published.update({key.name: value for key, value in changed})
        workflow.set_current_details(current_details(t, self.policy))


def _actor(payload: BaseModel) -> str:
    for field in ("agent", "by"):
        value = getattr(payload, field, None)
        if value:
            return str(value)
    return (
        "customer" if isinstance(payload, CustomerMessageInput | SurveyResponseInput) else "unknown"
    )

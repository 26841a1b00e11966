"""TicketWorkflow: one support ticket as a durable workflow, a shell around the procedure's core.

What happens to the ticket (its input, actions, a timer firing, an activity's result) becomes an
event for `procedure.decide`, which returns the ticket's new state and the effects to run. The
shell runs them: activities in the background, so a slow provider never delays a deadline; one
timer for the earliest deadline; search attributes and the UI's current details; continue-as-new.
Handlers decide synchronously: no awaits while the record changes."""

import asyncio
from collections.abc import Coroutine, Sequence
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.knowledge_base import KnowledgeBaseActivities
    from activities.messages import EventBatch, EventRecord, OutgoingMessage
    from activities.notifications import NotificationActivities
    from activities.policy import PolicyActivities
    from activities.records import RecordActivities
    from contract import search_attributes as sa
    from contract.kb import KbMatch
    from contract.payloads import InvalidInput, decode_raw, validate_single
    from contract.signals import DELIVERY_REPORT, SIGNAL_INPUTS, DeliveryReportInput
    from contract.status import ActionOutcome, TicketRecord, TimelineEntry
    from contract.ticket_input import Continuation, TicketInput
    from contract.tickets import TicketState
    from policy.models import EscalationPolicy
    from procedure import clocks, decide
    from procedure.actions import why_not
    from procedure.corrections import input_problem
    from procedure.effects import (
        Effect,
        Notify,
        RecordEntry,
        RecordHandoff,
        Reply,
        SearchKnowledgeBase,
        SendDigest,
    )
    from procedure.events import (
        Action,
        DeadlineDue,
        Delivered,
        DeliveryFailed,
        DeliveryReported,
        DigestSent,
        Event,
        KnowledgeBaseSearched,
        Opened,
        Respond,
        UnreadableAction,
        action_event,
    )
    from procedure.intake import category_problem
    from procedure.ui_details import current_details, delivery_summary, timer_summary
    from simulation.recording import recorded_input

# Patch id: responses are emailed to the customer unless internal (before, every one was a note).
RESPONSES_EMAILED = "respond-emails-customer"
# Runs from before a closed ticket stayed reopenable ended when the survey closed it.
REOPEN_WINDOW_PATCH = "closed-ticket-reopen-window"
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# Unlimited attempts: a store outage delays records, never drops them.
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# The search only adds links to the acknowledgment: never hold that back for long.
KB_SEARCH_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=2)


@workflow.defn(name="TicketWorkflow")
class TicketWorkflow:
    def __init__(self) -> None:
        self._policy: EscalationPolicy | None = None
        self._ticket: TicketRecord | None = None
        self._wake = False
        self._in_flight = 0
        self._published: dict[str, object] = {}
        self._unrecorded = EventBatch(events=[])

    # ----------------------------------------------------------------- lifecycle

    @workflow.run
    async def run(self, *args: Any) -> TicketRecord:
        ticket = self._decode_start(args)
        if ticket.continued:
            self._policy, self._ticket = ticket.continued.policy, ticket.continued.record
        else:
            # Intake runs on the instant the ticket was submitted (the start event's time, a fact
            # of the history): the first workflow task may be split or retried around the
            # policy's local activity, and a replay must compute the same deadlines.
            submitted = workflow.info().workflow_start_time
            self._policy = await workflow.execute_local_activity_method(
                PolicyActivities.current_policy,
                start_to_close_timeout=timedelta(seconds=10),
                summary="Load escalation policy",
            )
            problem = category_problem(self.policy, ticket.category)
            if problem:
                raise ApplicationError(problem, type="InvalidTicketInput", non_retryable=True)
            self._decide(Opened(ticket=ticket), submitted)
        self._publish()
        while not self._finished():
            if workflow.info().is_continue_as_new_suggested():
                await self._settle()
                workflow.continue_as_new(self._continuation())
            reached = await self._sleep_until_next_deadline()
            self._fire_due_deadlines(reached)
            self._publish()
        await self._settle()
        return self.t

    def _finished(self) -> bool:
        """Closed, and past the follow-up window in which a reply still reopens it. Runs
        recorded before the window outlived the survey ended at closing."""
        if self.t.state != TicketState.CLOSED:
            return False
        return self.t.deadlines.close is None or not workflow.patched(REOPEN_WINDOW_PATCH)

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

    @property
    def t(self) -> TicketRecord:
        if self._ticket is None:
            raise ApplicationError("ticket is still opening", type="TicketNotReady")
        return self._ticket

    @property
    def policy(self) -> EscalationPolicy:
        assert self._policy is not None
        return self._policy

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

    # ----------------------------------------------------------------- decisions

    def _decide(self, event: Event, now: datetime | None = None) -> list[Effect]:
        now, before = now or workflow.now(), self._ticket
        self._ticket, effects = decide(before, self.policy, event, now)
        for effect in effects:
            self._run(effect)
        # What `starter simulate` replays joins the batch of the entries it caused; one that
        # caused none (the knowledge base's answer) rides with the next: no command of its own.
        given = recorded_input(before, self._ticket, self.policy, event, now)
        if given is not None:
            self._unrecorded.inputs.append(given)
        return effects

    def _run(self, effect: Effect) -> None:
        match effect:
            case RecordEntry(record):
                _log_decision(record)
                self._unrecorded.events.append(record)
                self._record_when_decided()
            case RecordHandoff(record):
                self._unrecorded.handoffs.append(record)
                self._record_when_decided()
            case Notify(message):
                self._spawn(self._deliver(message))
            case SearchKnowledgeBase():
                self._spawn(self._search_knowledge_base(effect))
            case SendDigest():
                self._spawn(self._send_digest(effect))
            case Reply():
                pass  # the action's handler answers with it

    def _spawn(self, effect: Coroutine[Any, Any, None]) -> None:
        self._in_flight += 1
        task = asyncio.create_task(effect)
        task.add_done_callback(lambda _task: self._done())

    def _done(self) -> None:
        self._in_flight -= 1

    # ----------------------------------------------------------------- clocks

    async def _sleep_until_next_deadline(self) -> datetime | None:
        """Wait for the next deadline or an action; the due instant when its timer fired."""
        upcoming = clocks.next_deadline(self.t)
        self._wake = False
        if upcoming is None:
            await workflow.wait_condition(lambda: self._wake)
            return None
        name, due = upcoming
        timeout = due - workflow.now()
        if timeout <= timedelta(0):
            return None
        try:
            await workflow.wait_condition(
                lambda: self._wake,
                timeout=timeout,
                timeout_summary=timer_summary(self.t, name),
            )
        except TimeoutError:
            return due
        return None

    def _fire_due_deadlines(self, reached: datetime | None) -> None:
        # A fired timer means its deadline is reached, whatever workflow.now() says: after a
        # server restart a task can read a stale time (bench/chaos, docs/reliability.md); judged
        # by that time, the live run sets a second timer that a replay does not, and wedges.
        now = max(workflow.now(), reached) if reached else workflow.now()
        for deadline in clocks.DEADLINE_ORDER:
            if clocks.is_due(self.t, deadline, now):
                self._decide(DeadlineDue(deadline=deadline), now)

    # ----------------------------------------------------------------- handlers

    @workflow.signal(dynamic=True, description=f"An action: {', '.join(SIGNAL_INPUTS)}.")
    async def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Every action arrives here raw, whatever its name or payload: a bad one becomes a
        rejected timeline entry saying why, never a failed workflow task."""
        await workflow.wait_condition(lambda: self._ticket is not None)
        if name == DELIVERY_REPORT:
            self._delivery_reported(args)
            return
        try:
            payload = self._decode(name, args)
        except InvalidInput as err:
            self._decide(UnreadableAction(name=name, reason=str(err)))
            return
        self._act(action_event(name, payload))

    def _delivery_reported(self, args: Sequence[RawValue]) -> None:
        """A provider's later word on a notification (the API's delivery webhooks signal it)."""
        try:
            values = decode_raw(workflow.payload_converter(), [arg.payload for arg in args])
            report = validate_single(values, DeliveryReportInput, DELIVERY_REPORT)
        except InvalidInput as err:
            self._decide(UnreadableAction(name=DELIVERY_REPORT, reason=str(err)))
            return
        before = clocks.next_deadline(self.t)
        self._decide(DeliveryReported.model_validate(report.model_dump()))
        self._wake |= clocks.next_deadline(self.t) != before  # a call again: re-arm the timer
        self._publish()

    def _decode(self, name: str, args: Sequence[RawValue]) -> BaseModel:
        model = SIGNAL_INPUTS.get(name)
        if model is None:
            raise InvalidInput(f"unknown action {name!r}; one of {', '.join(SIGNAL_INPUTS)}")
        values = decode_raw(workflow.payload_converter(), [arg.payload for arg in args])
        return validate_single(values, model, name)

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> ActionOutcome:
        """Every signal as an update too: the caller gets the outcome or the rejection."""
        entry = self._act(action_event(name, self._decode(name, args)))
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
        action = action_event(name, payload)
        problem = input_problem(self.policy, action)
        if problem:  # the caller's mistake whatever the ticket's state: 422, not 409
            raise ApplicationError(problem, type="InvalidInput", non_retryable=True)
        reason = why_not(self.t, self.policy, action)
        if reason:
            raise ApplicationError(reason, type="ActionNotApplicable", non_retryable=True)

    def _act(self, action: Action) -> TimelineEntry:
        """Decide the action; one that applied may have moved the deadlines: re-arm the timer."""
        if (
            isinstance(action, Respond)
            and not action.internal
            and not workflow.patched(RESPONSES_EMAILED)
        ):
            # Histories from before responses were emailed: their responses stay notes.
            action = action.model_copy(update={"internal": True})
        [entry] = [e.entry for e in self._decide(action) if isinstance(e, Reply)]
        if not entry.rejected:
            self._publish()
            self._wake = True
        return entry

    # ----------------------------------------------------------------- effects

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

    async def _search_knowledge_base(self, search: SearchKnowledgeBase) -> None:
        """A failed search only drops the self-service links from the acknowledgment."""
        matches: list[KbMatch] = []
        try:
            matches = await workflow.execute_activity_method(
                KnowledgeBaseActivities.search_knowledge_base,
                search.query,
                start_to_close_timeout=timedelta(seconds=5),
                schedule_to_close_timeout=timedelta(seconds=10),
                retry_policy=KB_SEARCH_RETRY,
                summary="Search the knowledge base",
            )
        except ActivityError as err:
            workflow.logger.warning(
                "knowledge base search failed ticket=%s: %s", self.t.ticket_id, err
            )
        self._decide(KnowledgeBaseSearched(seq=search.seq, matches=matches))

    async def _deliver(self, message: OutgoingMessage) -> None:
        try:
            receipt = await self._delivery_activity(
                NotificationActivities.send_notification,
                message,
                delivery_summary(message.channel, message.audience, message.level, message.kind),
            )
        except ActivityError as err:
            self._decide(DeliveryFailed(message=message, error=str(err.cause or err)))
            self._publish()
            return
        self._decide(Delivered(message=message, receipt=receipt))

    async def _send_digest(self, digest: SendDigest) -> None:
        await workflow.sleep(digest.after, summary="Storm limit: digest at window end")
        receipt = await self._delivery_activity(
            NotificationActivities.send_digest,
            digest.request,
            f"Digest email to L{digest.request.level} team",
        )
        self._decide(DigestSent(request=digest.request, receipt=receipt))

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

    def _publish(self) -> None:
        """Search attributes (only when changed) and the UI's current details."""
        t = self.t
        upcoming = clocks.next_deadline(t)
        values: list[tuple[Any, Any]] = [
            (sa.TICKET_PRIORITY, t.priority),
            (sa.TICKET_LEVEL, t.level),
            (sa.TICKET_STATE, t.state.value),
            (sa.SLA_BREACHED, t.sla_breached),
            (sa.TICKET_CATEGORY, t.category or "uncategorized"),
            (sa.NEXT_DEADLINE, upcoming[1] if upcoming else None),
            (sa.TICKET_ASSIGNEE, t.assignee),
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


def _log_decision(record: EventRecord) -> None:
    workflow.logger.info(
        "decision ticket=%s rule=%s level=L%s priority=%s actor=%s reason=%s%s",
        record.ticket_id,
        record.event,
        record.level,
        record.priority,
        record.actor,
        record.reason,
        " REJECTED" if record.rejected else "",
    )

"""A workflow task's effects in one activity: its records written, then its messages sent.

Records first, in one transaction, idempotent by id (activity retries and workflow replays never
duplicate a row), and with an opening the policy version it runs under; then each message, once
only by the ledger. One activity, not one for the records and one for the messages: one
completion and one workflow task fewer per decision. While the database is down the activity
fails and Temporal retries it until the database is back: nothing goes out for a decision the
store does not hold yet. Plain `def`: the store and the provider SDKs are synchronous."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import NotificationDelivery
from activities.messages import BatchDelivery, DecisionBatch, OutgoingMessage
from policy.versions import VERSIONS
from store.inputs import input_rows, policy_row
from store.records import RecordStore


class DecisionActivities:
    def __init__(self, store: RecordStore, delivery: NotificationDelivery) -> None:
        self._store = store
        self._delivery = delivery

    @activity.defn(name="record_and_send")
    def record_and_send(self, batch: DecisionBatch) -> list[BatchDelivery]:
        """Each message's end: a receipt, a permanent failure, or a wait (the message then goes
        on alone as `send_notification`)."""
        self._record(batch)
        attempt = activity.info().attempt
        return [self._attempt(message, attempt) for message in batch.messages]

    def _record(self, batch: DecisionBatch) -> None:
        # An opening names its policy by digest: the version, from this worker's registry,
        # becomes durable in the opening's own transaction (a replay elsewhere reads it there).
        if not (batch.records() or batch.inputs):
            return
        opened_under = [VERSIONS.get(i.policy_id) for i in batch.inputs if i.policy_id]
        self._store.add_records(
            [event.model_dump() for event in batch.events],
            [handoff.model_dump() for handoff in batch.handoffs],
            input_rows(batch.inputs),
            [policy_row(policy) for policy in opened_under],
        )

    def _attempt(self, message: OutgoingMessage, attempt: int) -> BatchDelivery:
        try:
            return BatchDelivery(receipt=self._delivery.deliver(message, attempt))
        except ApplicationError as err:
            if err.non_retryable:
                return BatchDelivery(failure=str(err))
            delay = err.next_retry_delay.total_seconds() if err.next_retry_delay else 0.0
            return BatchDelivery(retry_after_seconds=delay)

"""Handoff records: every transition between levels, with its rendered template."""

from temporalio import activity

from activities.messages import HandoffRecord
from activities.outbox import Outbox


class RecordActivities:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    @activity.defn(name="record_handoff")
    def record_handoff(self, handoff: HandoffRecord) -> None:
        self._outbox.append("handoffs", handoff.handoff_id, handoff.model_dump(mode="json"))

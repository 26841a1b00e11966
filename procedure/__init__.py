"""The escalation procedure as pure functions of (state, policy, event, time): no Temporal.

`decide(state, policy, event, now)` returns the ticket's new state and the effects to run; the
rules live in modules named after their job (docs/procedure.md has the map)."""

from procedure.decision import Decision, advance, decide

__all__ = ["Decision", "advance", "decide"]

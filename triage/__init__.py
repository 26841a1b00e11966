"""Triage of ticket text a support desk can trust: pure functions of the policy and the text.

`assess` reads a ticket or a customer message the way a support lead does and returns a
suggested priority, the level it needs at once, the security reading, whether the customer asks
for escalation, and the evidence (the phrases that decided). `with_caller` applies a caller's
priority: content raises it on P1/P2 evidence and never lowers it."""

from triage.assessment import Evidence, Triage, assess, with_caller

__all__ = ["Evidence", "Triage", "assess", "with_caller"]

"""What a proposed escalation policy would have done to past tickets: their recorded inputs
replayed through the procedure's core (procedure.decide) under the current and the proposed
policy, side by side (docs/simulation.md). No Temporal: a plain function of records and policies."""

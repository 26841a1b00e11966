"""The escalation procedure as pure functions of (state, policy, event, time): no Temporal."""

"""Client library and CLI for the support-escalation service."""

"""Escalation and performance reports: the procedure's KPIs computed from the system of record."""

"""The customer channel: per-ticket tokens, reply-to addresses, survey links and the reading of
customer replies. Pure code, shared by the HTTP API (which verifies) and the worker (which mints
while sending email); the secret never enters a workflow's history."""

"""The service's clients: `client/` (the Python library other systems import), `cli/` (`python -m
starter`) and `api/` (the HTTP API and the providers' webhooks)."""

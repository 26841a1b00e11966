"""The HTTP API: tickets, alerts, the customer channel and the providers' webhooks."""

"""The client library: open a ticket, act on it, read its status, list tickets."""

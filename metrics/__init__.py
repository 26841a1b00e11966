"""The worker's Prometheus metrics: the exporter, and what we add to the Temporal SDK's own
(docs/metrics.md lists every name and label)."""

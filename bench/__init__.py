"""`make bench`: breach-to-page latency, lifecycle throughput against bare Temporal, cost.

Not part of `make test` (timings depend on the machine); `python -m bench.run --help`."""

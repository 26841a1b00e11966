"""`make chaos`: the service's promises under faults, on the real servers (see __main__)."""

"""What the worker and the clients both need from Temporal: the connection (from the environment),
the namespace's search attributes and the weekly review's Schedule; all idempotent."""

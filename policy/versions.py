"""Policy versions by digest. A ticket keeps only the digest of the policy it was opened under
(its history carries 64 characters, not the policy's ~19 KB); its workflow finds that version
here: the worker's own, one seen before, or one read from the records store (`policies`, keyed
by the same digest), so a ticket replayed on a worker that runs a newer policy keeps its own.

A digest names one content, so a version found anywhere is the same policy: a replay decides
as the first run did."""

import hashlib
import threading
from collections.abc import Callable

from policy.models import EscalationPolicy

# Reads a policy's JSON by digest from a durable place; None when it holds no such version.
Source = Callable[[str], str | None]


def policy_digest(policy: EscalationPolicy) -> str:
    """The SHA-256 of the policy's JSON: its id in the records store and in every ticket."""
    return hashlib.sha256(policy.model_dump_json().encode()).hexdigest()


class PolicyVersions:
    def __init__(self) -> None:
        self._known: dict[str, EscalationPolicy] = {}
        self._sources: dict[str, Source] = {}
        self._lock = threading.Lock()

    def add(self, policy: EscalationPolicy) -> str:
        digest = policy_digest(policy)
        with self._lock:
            self._known.setdefault(digest, policy)
        return digest

    def add_source(self, name: str, source: Source) -> None:
        """Where versions this worker has not seen are read (a store, by its URL)."""
        with self._lock:
            self._sources[name] = source

    def get(self, digest: str) -> EscalationPolicy:
        """The version with this digest; a miss reads the sources once (a replay after a
        deploy), and a version found nowhere fails the workflow task, which Temporal retries."""
        policy = self._known.get(digest)
        if policy is not None:
            return policy
        unread = []
        for name, source in list(self._sources.items()):
            try:
                text = source(digest)
            except Exception as err:  # a store that is down (or gone): try the others
                unread.append(f"{name}: {err}")
                continue
            if text is not None:
                policy = EscalationPolicy.model_validate_json(text)
                with self._lock:
                    return self._known.setdefault(digest, policy)
        raise LookupError(
            f"policy version {digest} is in no policy store this worker reads"
            + (f" (unreadable: {'; '.join(unread)})" if unread else "")
        )


# The worker's registry: workflows reach it through the sandbox (a passed-through module).
VERSIONS = PolicyVersions()

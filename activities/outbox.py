"""Local outbox: an append-only JSON-lines file per stream, deduplicated by id.

It stands in for real delivery until the providers are configured,
and keeps what would have been sent where an operator can read it."""

import json
import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        self._seen: dict[str, set[str]] = {}

    @property
    def directory(self) -> Path:
        return self._directory

    def append(self, stream: str, record_id: str, record: dict[str, object]) -> bool:
        """Write the record once; False when this id was already written (a retry or replay)."""
        with self._lock:
            seen = self._ids(stream)
            if record_id in seen:
                return False
            self._directory.mkdir(parents=True, exist_ok=True)
            with self._path(stream).open("a", encoding="utf-8") as out:
                out.write(json.dumps({"id": record_id, **record}, default=str) + "\n")
            seen.add(record_id)
        log.info("outbox %s %s", stream, record_id)
        return True

    def read(self, stream: str) -> list[dict[str, object]]:
        path = self._path(stream)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

    def _ids(self, stream: str) -> set[str]:
        if stream not in self._seen:
            self._seen[stream] = {str(row["id"]) for row in self.read(stream)}
        return self._seen[stream]

    def _path(self, stream: str) -> Path:
        return self._directory / f"{stream}.jsonl"

"""The worker's garbage-collector pauses: a full collection walks every object of every cached
workflow, holding the GIL, so its pauses grow with the open tickets and land in the tail."""

import gc
import json
import time
from pathlib import Path
from typing import Any

from bench.stats import summarize


class GcPauses:
    """Installed in the worker process; written to a file when the worker stops."""

    def __init__(self) -> None:
        self._started = 0.0
        self._pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}

    def install(self) -> None:
        gc.callbacks.append(self._on_collect)

    def uninstall(self) -> None:
        gc.callbacks.remove(self._on_collect)

    def _on_collect(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._pauses[info["generation"]].append(time.perf_counter() - self._started)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self._pauses), encoding="utf-8")


GC_PAUSES_FILE = "gc-pauses.json"  # in the worker's data directory


def read_pauses(path: Path) -> dict[str, Any]:
    """Per generation: how many collections, their pauses (seconds) and the total."""
    if not path.exists():
        return {}
    pauses: dict[str, list[float]] = json.loads(path.read_text(encoding="utf-8"))
    return {
        f"gen{generation}": summarize(values).as_dict() | {"total": sum(values)}
        for generation, values in pauses.items()
        if values
    }

"""Time zones from the pinned `tzdata` package, never from the host's zone database.

`ZoneInfo(key)` searches `zoneinfo.TZPATH` (the host's /usr/share/zoneinfo) first and falls back
to `tzdata` only when the host has no such file, so two workers with different system packages
could compute different deadlines. Reading the file out of `tzdata` makes every worker (and every
replay) use the same rules: the version pinned in pyproject.toml."""

import re
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

import tzdata

TZDATA_VERSION: str = tzdata.IANA_VERSION
# IANA keys are path-like ("America/Argentina/Buenos_Aires"); refusing anything else keeps a
# policy's string from naming a file outside the package.
_KEY = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")


class UnknownZoneError(ValueError):
    """The key is not a time zone of the pinned tzdata release."""


@cache
def zone_keys() -> frozenset[str]:
    """Every zone key the pinned tzdata ships (its `zones` index)."""
    return frozenset(resources.files(tzdata).joinpath("zones").read_text().split())


@cache
def load_zone(key: str) -> ZoneInfo:
    """The zone named key, read from the pinned tzdata package (cached: zones are immutable)."""
    if not _KEY.fullmatch(key) or key not in zone_keys():
        raise UnknownZoneError(f"unknown time zone {key!r} (IANA name like 'Europe/Berlin')")
    with resources.files(tzdata).joinpath("zoneinfo", *key.split("/")).open("rb") as data:
        return ZoneInfo.from_file(data, key=key)

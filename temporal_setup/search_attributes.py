"""`init`: register the ticket search attributes on the namespace, idempotently."""

from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from contract import search_attributes as sa


async def _known(client: Client) -> set[str]:
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
    except RPCError as err:
        # The time-skipping test server cannot list; it starts with none registered.
        if err.status == RPCStatusCode.UNIMPLEMENTED:
            return set()
        raise
    return set(existing.custom_attributes) | set(existing.system_attributes)


async def register_search_attributes(
    client: Client, keys: tuple[SearchAttributeKey, ...] = sa.ALL
) -> list[str]:
    """Add the attributes the namespace lacks; returns the names it added."""
    known = await _known(client)
    missing = {key.name: int(key.indexed_value_type) for key in keys if key.name not in known}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )
    return sorted(missing)

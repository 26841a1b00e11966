"""Checks `open` makes beyond TicketInput: the category against the policy this checkout ships.

The workflow fails a ticket whose category the policy does not know, and open_ticket never
reuses the id of a failed ticket, so a typo would burn the id; catching it here is cheaper."""

from policy import PolicyError, load_policy


def category_problem(category: str | None) -> str | None:
    """`category: ...` when the shipped policy does not list the category, else None."""
    if not category:
        return None
    try:
        known = load_policy().categories
    except PolicyError:
        return None  # the CLI cannot read the policy; leave the verdict to the worker
    if category in known:
        return None
    return f"category: {category!r} is not one of {', '.join(known)}"

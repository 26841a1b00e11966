"""Knowledge-base matches as the ticket status shows them."""

from pydantic import BaseModel, Field


class KbMatch(BaseModel):
    slug: str
    title: str
    category: str | None = None
    url: str
    score: float = Field(description="The search engine's rank; compare within one search only.")
    fits: bool = Field(
        description="Written for the ticket's category: offered to the customer as self-service."
    )

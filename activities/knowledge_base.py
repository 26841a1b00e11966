"""Knowledge-base search at intake: "Check Knowledge Base: look for existing solutions"."""

from temporalio import activity

from activities.messages import KbQuery
from contract.kb import KbMatch
from store.kb import KnowledgeBase


class KnowledgeBaseActivities:
    def __init__(self, knowledge_base: KnowledgeBase) -> None:
        self._knowledge_base = knowledge_base

    @activity.defn(name="search_knowledge_base")
    def search_knowledge_base(self, query: KbQuery) -> list[KbMatch]:
        return self._knowledge_base.search(query.text, query.category)

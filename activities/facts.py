"""The KPIs' projection written: an account's new facts (domain.facts) into the store's `account_fact` table, each
once (retries and runs after continue-as-new send them again; the store keeps the first)."""

from temporalio import activity

from domain.facts import FactsRecord
from store import facts
from store.models import AccountFact
from store.repository import Store


class FactDesk:
    def __init__(self, store: Store) -> None:
        self.store = store

    @activity.defn(name="record_facts")
    def record_facts(self, record: FactsRecord) -> None:
        facts.record(self.store, [
            AccountFact(account_id=record.account_id, segment=record.segment, policy=record.policy, arm=record.arm,
                        **fact.model_dump())
            for fact in record.facts
        ])  # fmt: skip

    def all(self) -> list:
        return [self.record_facts]

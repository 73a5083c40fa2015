"""The side effects of placements with collection agencies: an account's placements and the payments that earned
commission, recorded in the store (idempotent: the latest placement record wins, each payment once)."""

import json

from temporalio import activity

from domain.case_records import PlacementsRecord
from store.models import AgencyPayment, AgencyPlacement
from store.repository import Store


class AgencyDesk:
    def __init__(self, store: Store) -> None:
        self.store = store

    @activity.defn(name="record_placements")
    def record_placements(self, record: PlacementsRecord) -> None:
        placements = [_row(record.account_id, p.model_dump()) for p in record.placements]
        payments = [AgencyPayment(**p.model_dump()) for p in record.payments]
        self.store.record_placements(placements, payments)

    def all(self) -> list:
        return [self.record_placements]


def _row(account_id: str, placement: dict) -> AgencyPlacement:
    complaints = json.dumps(placement.pop("complaints"), ensure_ascii=False)
    return AgencyPlacement(account_id=account_id, complaints=complaints, **placement)

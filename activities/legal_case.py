"""The handoff to legal: a case with a self-contained evidence package, exported as a folder and a zip that a
lawyer can open without this system (case.json, contact_log.csv, the letters as PDF, a README)."""

import csv
import hashlib
import io
import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from domain.actions import ActionRequest
from store.files import FILE_MODE, private_dir, write_private
from store.models import ContactLog, LegalCase
from store.repository import Store

README = """Evidence package {case_id}

case.json        the case: debtor, contracts, invoices, payments, amounts, promises, the reason for handoff
contact_log.csv  every contact attempt, delivery, decision and handoff, in order, with content hashes
documents/       the letters sent, as PDF; their SHA-256 are in case.json and in the contact log; case.json
                 lists each letter with its tracking number and its delivery (the courier's proof) or return
"""


class LegalDesk:
    def __init__(self, store: Store, folder: Path) -> None:
        self.store, self.folder = store, folder

    def open_case(self, request: ActionRequest) -> LegalCase:
        """Idempotent: the case of an account's handoff is opened once, whatever the retries."""
        episode = request.idempotency_key.split("/")[1]
        case_id = f"CASE-{request.account_id}-{episode}"
        existing = self.store.case(case_id)
        if existing is not None:
            return existing
        now = datetime.now(UTC)
        log = self.store.contact_log(request.account_id)
        package = evidence(case_id, now, request, log, self._documents(log))
        text = json.dumps(package, ensure_ascii=False, indent=2, default=str)
        case = self.store.open_case(
            LegalCase(case_id=case_id, account_id=request.account_id, workflow_id=request.workflow_id, opened_at=now,
                      reason=request.handoff_reason or "", state="open", package=text,
                      package_sha256=hashlib.sha256(text.encode()).hexdigest())
        )  # fmt: skip
        self.export(case)
        return case

    def export(self, case: LegalCase, folder: Path | None = None) -> Path:
        """Write the package to `<folder>/<case_id>/` and `<folder>/<case_id>.zip`, owner-only; returns the zip."""
        if case.package is None:
            raise ValueError(f"case {case.case_id} has no evidence package")
        root = (folder or self.folder) / case.case_id
        private_dir(root / "documents")
        write_private(root / "case.json", case.package.encode())
        package = json.loads(case.package)
        write_private(root / "contact_log.csv", _csv(package["contact_log"]).encode())
        for document in package["documents"]:
            write_private(root / "documents" / document["filename"], self.store.document(document["id"]).content)
        write_private(root / "README.txt", README.format(case_id=case.case_id).encode())
        archive = Path(shutil.make_archive(str(root), "zip", root_dir=root.parent, base_dir=root.name))
        archive.chmod(FILE_MODE)
        return archive

    def agency_package(self, request: ActionRequest) -> Path:
        """The package an agency receives with a placement: the legal package less what stays in the house (the
        contact log's internal rows, settlement offers, the reason for handoff); the letters' PDFs. Written to
        `<folder>/agencies/<agency>/<placement>/` and its zip, owner-only; returns the zip."""
        agency, placement = request.details["agency_id"], request.details["placement_id"]
        log = self.store.contact_log(request.account_id)
        documents = self._documents(log)
        package = evidence(placement, datetime.now(UTC), request, log, documents)
        for internal in ("contact_log", "settlements", "reason"):
            package.pop(internal)
        root = self.folder / "agencies" / agency / placement
        private_dir(root / "documents")
        write_private(root / "placement.json", json.dumps(package, ensure_ascii=False, indent=2, default=str).encode())
        for document in documents:
            write_private(root / "documents" / document["filename"], self.store.document(document["id"]).content)
        archive = Path(shutil.make_archive(str(root), "zip", root_dir=root.parent, base_dir=root.name))
        archive.chmod(FILE_MODE)
        return archive

    def _documents(self, log: list[ContactLog]) -> list[dict]:
        ids = sorted({row.document_id for row in log if row.document_id is not None})
        documents = [self.store.document(i) for i in ids]
        return [{"id": d.id, "filename": d.filename, "sha256": d.sha256, "size": d.size, "kind": d.kind,
                 "created_at": d.created_at} for d in documents]  # fmt: skip


def evidence(case_id: str, now: datetime, request: ActionRequest, log: list[ContactLog], documents: list[dict]) -> dict:
    """Everything a lawyer needs, in one document."""
    debtor = request.debtor
    return {
        "case_id": case_id,
        "opened_at": now,
        "reason": request.handoff_reason,
        "account": {"account_id": request.account_id, "workflow_id": request.workflow_id, "policy": request.policy},
        "debtor": debtor.model_dump(mode="json"),
        "contracts": sorted({i.contract_ref for i in request.invoices if i.contract_ref}),
        "invoices": [i.model_dump(mode="json") for i in request.invoices],
        "payments": [p.model_dump(mode="json") for p in request.payments],
        "fees": [f.model_dump(mode="json") for f in request.fees],
        "amounts": _amounts(request),
        "promises": [p.model_dump(mode="json") for p in request.promises],
        "broken_promises": sum(p.state == "broken" for p in request.promises),
        "contact_log": [row.model_dump(mode="json", exclude={"id"}) for row in log],
        "documents": documents,
        # Each letter with its tracking number and the courier's proof: the written demands a court asks for.
        "letters": [letter.model_dump(mode="json") for letter in request.letters],
        # Settlement offers (lapsed or rejected: a settled account never reaches legal), waived parts apart.
        "settlements": [offer.model_dump(mode="json") for offer in request.settlements],
    }


def _amounts(request: ActionRequest) -> dict[str, dict]:
    """Per currency, at handoff: what is owed (principal, interest, fees), and what was paid towards each."""
    amounts: dict[str, dict] = {}
    for balance in request.balances:
        amounts[balance.currency] = {
            "owed": str(balance.amount), "principal": str(balance.principal), "interest": str(balance.interest),
            "fees": str(balance.fees), "paid": {part: "0" for part in request.allocation_order},
            "interest_terms": request.interest_terms, "allocation_order": request.allocation_order,
        }  # fmt: skip
    for payment in request.payments:
        paid: dict[str, str] | None = amounts.get(payment.currency, {}).get("paid")
        if paid is None:  # a currency nothing is owed in: its payments paid nothing
            continue
        for allocation in payment.allocations:
            paid[allocation.part] = str(Decimal(paid[allocation.part]) + allocation.amount)
    return amounts


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()

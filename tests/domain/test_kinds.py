"""The capability table (domain.kinds) answers every question about action kinds as the separate maps it replaced
did."""

from domain.kinds import CONTACT_NEEDS, DEBTOR_CONTACT, KINDS, REMOTE_CONTACT, WINDOW_OF_ACTION, ActionKind

K = ActionKind


def test_the_derived_rules_are_those_the_separate_maps_held() -> None:
    assert {K.SMS, K.EMAIL, K.DEMAND_LETTER, K.CALL_TASK, K.VISIT_TASK, K.FINAL_NOTICE, K.LAWYER_LETTER,
            K.INSTALLMENT_SMS, K.INSTALLMENT_EMAIL, K.CONFIRMATION_LETTER,
            K.SETTLEMENT_OFFER, K.REPAYMENT_AGREEMENT, K.AGREEMENT_REMINDER} == DEBTOR_CONTACT  # fmt: skip
    assert CONTACT_NEEDS == {K.SMS: "phone", K.EMAIL: "email", K.INSTALLMENT_SMS: "phone", K.INSTALLMENT_EMAIL: "email",
                             # from rules 5 (the planner asks for an address only then)
                             K.DEMAND_LETTER: "address", K.FINAL_NOTICE: "address", K.LAWYER_LETTER: "address",
                             K.CONFIRMATION_LETTER: "address", K.SETTLEMENT_OFFER: "address",
                             K.REPAYMENT_AGREEMENT: "address", K.AGREEMENT_REMINDER: "email"}  # fmt: skip
    assert WINDOW_OF_ACTION == {K.SMS: "sms", K.INSTALLMENT_SMS: "sms", K.EMAIL: "email", K.INSTALLMENT_EMAIL: "email",
                                K.CALL_TASK: "call", K.VISIT_TASK: "visit", K.AGREEMENT_REMINDER: "email"}  # fmt: skip
    assert {K.SMS, K.EMAIL, K.CALL_TASK} == REMOTE_CONTACT
    assert {k: c.assignee for k, c in KINDS.items() if c.assignee} == {
        K.CALL_TASK: "collector", K.VISIT_TASK: "field_collector", K.ESCALATION: "collections_manager",
        K.LITIGATION: "legal", K.LOCK_ORDERS: "sales_operations", K.LAWYER_LETTER_DRAFT: "legal",
        K.AGREEMENT_CHASE: "collector", K.AGENCY_PLACEMENT: "agency",
    }  # fmt: skip


def test_every_kind_has_a_row_and_every_task_a_store_kind() -> None:
    assert set(KINDS) == set(ActionKind)
    assert all(kind.task for kind in KINDS.values() if kind.output == "task")
    assert all(kind.debtor for kind in KINDS.values() if kind.needs or kind.window or kind.remote)

"""Who works what: the staff roles, the task pools each role draws from, the priority of a task, and which team an
account goes to. Pure rules; the store and the edges apply them.

Which team an account goes to is policy data (`[work] teams` rules: domain.policy.WorkRules.team_for).

Priority (higher first, the queue's order) is the money at stake, weighted by how late and how unreliable:

    priority = outstanding × (1 + days past due / 30) × (1 + broken promises)

so 10,000 at 60 days past due with one broken promise (60,000) comes before 20,000 at 10 days (26,667): the older,
less reliable debt needs the call first. Amounts in different currencies are added as numbers (single-currency
books are the norm)."""

from decimal import Decimal

from domain.actions import ActionRequest

ROLES = ("collector", "supervisor", "manager", "general_manager", "legal", "ops", "admin", "agency")
LEADS = ("supervisor", "manager", "general_manager")

# The task pools (Task.assignee_role, from domain.kinds and the policies' chains) each staff role works.
POOLS: dict[str, tuple[str, ...]] = {
    "collector": ("collector", "field_collector"),
    "supervisor": ("supervisor",),
    "manager": ("manager", "collections_manager"),
    "general_manager": ("general_manager",),
    "legal": ("legal",),
    "ops": ("sales_operations",),
    "admin": (),
    "agency": ("agency",),  # a collection agency's staff: its team is the agency's id (domain.agencies)
}


def priority(request: ActionRequest) -> float:
    outstanding = sum((b.amount for b in request.balances), Decimal(0))
    broken = sum(p.state == "broken" for p in request.promises)
    return float(outstanding * (1 + Decimal(max(request.days_past_due, 0)) / 30) * (1 + broken))

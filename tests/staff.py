"""People for the tests: one of each role, hired in a test's store, with their keys."""

from store.repository import Store

# role: (username, full name); the username is what the records say each did.
PEOPLE = {
    "collector": ("li.na", "Li Na"),
    "supervisor": ("wang.fang", "Wang Fang"),
    "manager": ("zhao.lei", "Zhao Lei"),
    "general_manager": ("chen.jie", "Chen Jie"),
    "legal": ("zhou.lawyer", "Lawyer Zhou"),
    "ops": ("ops.desk", "Ops Desk"),
    "admin": ("admin.root", "Admin Root"),
    "agency": ("agent.li", "Agent Li"),  # of the example agency (policies/agencies/example-agency.toml)
}
TEAMS = {"agency": "example-agency"}  # an agency's people have its id as their team


def hire(store: Store, role: str, username: str | None = None, **fields: str) -> str:
    """A new person of `role` (by default the one PEOPLE names) and a fresh key of theirs, which is returned."""
    default_username, name = PEOPLE[role]
    username = username or default_username
    if role in TEAMS:
        fields.setdefault("team", TEAMS[role])
    store.add_staff(username, fields.pop("name", name), role, **fields)
    return store.issue_key(username)


def hire_everyone(store: Store) -> dict[str, str]:
    """One person of each role; their keys by role."""
    return {role: hire(store, role) for role in PEOPLE}


def staff_register(url: str) -> dict[str, str]:
    """The database at `url` (migrated), with one person of each role: their keys by role."""
    store = Store.open(url)
    try:
        return hire_everyone(store)
    finally:
        store.close()

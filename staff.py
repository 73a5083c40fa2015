"""The staff and their keys: who may act, in which role, and the keys that prove it.

  python staff.py add USERNAME --name TEXT --role ROLE [--team TEAM] [--level LEVEL]
  python staff.py list [--json]
  python staff.py key USERNAME          a new key, printed this once (only its hash is kept)
  python staff.py revoke KEY_ID
  python staff.py deactivate USERNAME   their keys stop working at once

Whoever can open the database (`DATABASE_URL`) is the admin: these commands take no key, for that person could
change the tables by hand anyway. Give the key to its person, who signs in to the dashboard with it, sends it as
`X-API-Key`, or sets it as `COLLECTIONS_KEY` for the command lines. Roles and approval levels: `store.staff`."""

import argparse
import asyncio
import json
import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from cli import command, flag, parse
from settings import ConfigError, Settings, exit_now
from store.errors import NotFound
from store.models import APPROVAL_LEVELS, STAFF_ROLES, Staff
from store.repository import Store
from terminal import escaping_output, render_table

EXIT_REJECTED, EXIT_FAILED = 2, 1


def person_line(person: Staff) -> str:
    team = f", team {person.team}" if person.team else ""
    level = f", approval level {person.approval_level}" if person.approval_level else ""
    return f"{person.username} ({person.full_name}): {person.role}{team}{level}"


def cmd_add(store: Store, args: argparse.Namespace) -> int:
    person = store.add_staff(args.username, args.name, args.role, args.team, args.level)
    print(f"added {person_line(person)}; give them a key with `collections staff key {person.username}`")
    return 0


def cmd_list(store: Store, args: argparse.Namespace) -> int:
    people, keys = store.list_staff(), store.keys()
    live = {p.username: [k.key_id for k in keys if k.username == p.username and k.revoked_at is None] for p in people}
    if args.json:
        rows = [person.model_dump(mode="json") | {"keys": live[person.username]} for person in people]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    header = ("username", "name", "role", "team", "level", "active", "keys")
    table = [(p.username, p.full_name, p.role, p.team or "-", p.approval_level or "-", "yes" if p.active else "no",
              " ".join(live[p.username]) or "-") for p in people]  # fmt: skip
    print(render_table(header, table))
    print(f"{len(people)} person(s)")
    return 0


def cmd_key(store: Store, args: argparse.Namespace) -> int:
    key = store.issue_key(args.username)
    key_id = key.split("_")[1]
    print(key)
    print(f"key {key_id} for {args.username}: shown this once, it will not be shown again (only its hash is kept); "
          f"revoke it with `collections staff revoke {key_id}`", file=sys.stderr)  # fmt: skip
    return 0


def cmd_revoke(store: Store, args: argparse.Namespace) -> int:
    key = store.revoke_key(args.key_id)
    print(f"key {key.key_id} of {key.username} revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
    return 0


def cmd_deactivate(store: Store, args: argparse.Namespace) -> int:
    person = store.deactivate(args.username)
    print(f"{person.username} deactivated: their keys no longer work")
    return 0


@escaping_output
async def main(argv: list[str] | None = None) -> int:
    """`staff.py COMMAND ...`: parse, then run the command on the store of the settings."""
    args = parse(commands(), argv, "staff.py")
    return args if isinstance(args, int) else await execute(args)


async def execute(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
        store = await asyncio.to_thread(Store.open, settings.database_url)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
    except SQLAlchemyError as error:
        print(f"the database cannot be opened: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    try:
        return await asyncio.to_thread(args.run, store, args)
    except NotFound as error:  # an unknown person or key, as an unknown account or case
        print(error, file=sys.stderr)
        return EXIT_FAILED
    except ValueError as error:  # a field out of bounds, a username taken (Conflict), a deactivated person's key
        print(f"rejected: {error}", file=sys.stderr)
        return EXIT_REJECTED
    finally:
        store.close()


def commands() -> click.Group:
    """`staff.py COMMAND ...`, and `collections staff COMMAND ...`."""
    username = click.Argument(["username"])
    return click.Group("staff.py", help="The staff and their keys (whoever can open the database manages them).",
                       commands=[
        command("add", cmd_add, "a new person, active, in a role", [
            username, click.Option(["--name"], required=True, help="their full name (at most 200 characters)"),
            click.Option(["--role"], required=True, type=click.Choice(STAFF_ROLES)),
            click.Option(["--team"], help="their team, an identifier such as east-1"),
            click.Option(["--level"], type=click.Choice(APPROVAL_LEVELS),
                         help="the approval level, leads only (default: their role's)")]),
        command("list", cmd_list, "everybody, with their active keys' ids", [
            flag("--json", help="machine-readable output")]),
        command("key", cmd_key, "a new key for a person, printed once", [username]),
        command("revoke", cmd_revoke, "a key stops working at once", [click.Argument(["key_id"])]),
        command("deactivate", cmd_deactivate, "a person can no longer act: their keys stop working", [username]),
    ])  # fmt: skip


if __name__ == "__main__":
    exit_now(asyncio.run(main()))

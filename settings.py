"""Configuration from the environment, with embedded defaults that need no Docker and no network."""

import os
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from workflows import TASK_QUEUE

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    temporal_address: str
    temporal_namespace: str
    task_queue: str
    ui_port: int
    var_dir: Path
    outbox_dir: Path
    policy_dir: Path

    @classmethod
    def from_env(cls) -> "Settings":
        var_dir = Path(os.environ.get("COLLECTIONS_VAR_DIR", ROOT / "var"))
        return cls(
            temporal_address=os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"),
            temporal_namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"),
            task_queue=os.environ.get("COLLECTIONS_TASK_QUEUE", TASK_QUEUE),
            ui_port=int(os.environ.get("TEMPORAL_UI_PORT", "8233")),
            var_dir=var_dir,
            outbox_dir=Path(os.environ.get("COLLECTIONS_OUTBOX_DIR", var_dir / "outbox")),
            policy_dir=Path(os.environ.get("COLLECTIONS_POLICY_DIR", ROOT / "policies")),
        )

    async def connect(self) -> Client:
        """A client with the pydantic data converter, as every client of this project must have."""
        return await Client.connect(
            self.temporal_address, namespace=self.temporal_namespace, data_converter=pydantic_data_converter
        )

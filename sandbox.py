"""The workflow sandbox the worker runs accounts in: Temporal's, with our passthrough modules and two costs cut.

1. temporalio 1.35 asks a workflow for a payload's serialization context for every payload sequence of every
   activation and completion (three passes each: decode, external storage, encode). The sandboxed instance answers
   through `_Instance._run_code`, which compiles a two-line string with `exec` and swaps the sandbox's importer in
   and out (sys.modules, builtins.__import__) at each call: 15% of the worker's GIL time in `bench.ladder`. The
   answer is computed by the SDK's own instance inside the sandbox, from the workflow's id and the pending command a
   payload belongs to, with no import and no workflow code: `LeanSandboxedRunner` asks it directly. Workflow code
   still runs only inside the sandbox, under its determinism guard.
2. The sandbox imports the workflow modules afresh for every workflow it creates. Where Python writes no bytecode
   (PYTHONDONTWRITEBYTECODE, as on the development machines) that is a compile from source each time:
   `compile_workflow_modules` writes it once, when the worker starts (the image has it from its build).
"""

import compileall
import functools
from pathlib import Path
from typing import Any

from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from temporalio.worker.workflow_sandbox._runner import _Instance

WORKFLOWS_DIR = Path(__file__).resolve().parent / "workflows"


class _LeanInstance(_Instance):
    def _ask(self, question: str, command_info: Any) -> Any:
        """The SDK's own instance inside the sandbox answers; the slow path if this SDK keeps it elsewhere."""
        instance = getattr(self.globals_and_locals.get("__temporal_in_sandbox"), "instance", None)
        return getattr(instance or super(), question)(command_info)

    def get_serialization_context(self, command_info: Any) -> Any:
        return self._ask("get_serialization_context", command_info)

    def get_external_store_context(self, command_info: Any) -> Any:
        return self._ask("get_external_store_context", command_info)


class LeanSandboxedRunner(SandboxedWorkflowRunner):
    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _LeanInstance(det, self.runner_class, self.restrictions)


# Imported lazily inside the sandbox (by pydantic for email addresses, by the holiday calendars, by phonenumbers for
# a country's metadata): deterministic libraries, shared rather than re-imported in each workflow (dateutil reads the
# clock at import; phonenumbers makes a lock at import, which the sandbox forbids).
SANDBOX = LeanSandboxedRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "email_validator", "idna", "holidays", "dateutil", "phonenumbers"
    )
)


@functools.cache
def compile_workflow_modules() -> None:
    """Bytecode for the modules the sandbox re-imports per workflow (those up to date are left alone; a folder the
    worker may not write to is left as it is)."""
    compileall.compile_dir(WORKFLOWS_DIR, quiet=2)

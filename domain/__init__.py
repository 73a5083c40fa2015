"""Pure business logic shared by workflows and activities: no Temporal, no I/O, no wall clock."""

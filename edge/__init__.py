"""Where input reaches the accounts from outside their workflows: the operations table (every command people send),
sending commands and reading an account's status (client), and ingesting events. The command line, the HTTP API,
the dashboard and the benchmarks share it; none of it runs inside a workflow."""

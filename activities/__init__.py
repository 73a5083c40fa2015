"""Every side effect of a collection workflow. Each activity is idempotent by its request's idempotency key."""

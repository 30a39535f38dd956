"""The store's email: an outbox written in the change's transaction, and its sender."""

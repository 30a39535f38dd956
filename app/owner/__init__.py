"""The owner's side: sign-in, sessions, the audit trail, and what the owner sees and does."""

"""Payments: the gateway to Stripe (or the sandbox that speaks its API)."""

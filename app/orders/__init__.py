"""Orders: placing one, confirming its payment exactly once, and listing a visitor's orders."""

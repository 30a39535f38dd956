"""Orders out of the store: the owner's CSV export."""

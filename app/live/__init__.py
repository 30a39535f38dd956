"""Live pages: order changes pushed to the pages that show them, as server-sent events."""

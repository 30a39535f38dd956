"""The owner's products page: prices, stock and whether each is on sale."""

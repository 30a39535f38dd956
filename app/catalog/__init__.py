"""The catalogue: the three products and the priced cart."""

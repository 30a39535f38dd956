"""Prometheus metrics: the store's own (store.py), read at scrape time (figures.py), wiring."""

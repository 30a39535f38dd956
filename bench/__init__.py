"""The benchmark: the store against its baselines, measured in one run (`make bench`)."""

"""`python -m app`: serve the store with uvicorn on HOST:PORT from the settings."""

import copy
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from app.settings import load_settings


def log_config() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    # By name: with WEB_CONCURRENCY above 1 the config goes to worker processes.
    config.setdefault("filters", {})["without_query"] = {"()": "app.access_log.WithoutQuery"}
    config["handlers"]["access"]["filters"] = ["without_query"]
    return config


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level="debug" if settings.debug else settings.log_level.lower(),
        log_config=log_config(),
        # As `make serve`: TRUSTED_PROXIES decides whose X-Forwarded-For names the client;
        # uvicorn's own default would believe it from 127.0.0.1.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()

"""`python -m app`: serve the store with uvicorn on HOST:PORT from the settings."""

import copy
import logging
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from app.settings import load_settings


class WithoutQuery(logging.Filter):
    """The access log keeps paths, never query strings: an owner's search names a buyer's email,
    and the success page's a Checkout Session id."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client, method, path with query, HTTP version, status).
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).partition("?")[0], version, status)
        return True


def log_config() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["without_query"] = {"()": WithoutQuery}
    config["handlers"]["access"]["filters"] = ["without_query"]
    return config


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level="debug" if settings.debug else "info",
        log_config=log_config(),
        # As `make serve`: TRUSTED_PROXIES decides whose X-Forwarded-For names the client;
        # uvicorn's own default would believe it from 127.0.0.1.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()

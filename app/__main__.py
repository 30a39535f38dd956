"""`python -m app`: serve the store with uvicorn on HOST:PORT from the settings."""

import uvicorn

from app.settings import load_settings


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level="debug" if settings.debug else "info",
        # As `make serve`: TRUSTED_PROXIES decides whose X-Forwarded-For names the client;
        # uvicorn's own default would believe it from 127.0.0.1.
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()

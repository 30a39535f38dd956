"""The access log of `python -m app`: paths without their query strings."""

import logging


class WithoutQuery(logging.Filter):
    """The access log keeps paths, never query strings: an owner's search names a buyer's email,
    and the success page's a Checkout Session id."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client, method, path with query, HTTP version, status).
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).partition("?")[0], version, status)
        return True

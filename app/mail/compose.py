"""An email's words from Jinja templates (text and HTML, escaped), and the message to send."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.money import format_money
from app.settings import PROJECT_ROOT

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
SUBJECT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Letter:
    kind: str
    to: str
    subject: str
    text: str
    html: str
    link: str = ""


def one_line(value: str, limit: int = SUBJECT_LIMIT) -> str:
    """A header value that can never start another header: control characters become spaces."""
    return _CONTROL.sub(" ", value).strip()[:limit]


@cache
def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates" / "mail"),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        auto_reload=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["money"] = format_money
    return env


def write(kind: str, to: str, subject: str, link: str = "", **context: Any) -> Letter:
    """Render templates/mail/<kind>.txt and .html with `context` (the HTML escaped)."""
    env = _templates()
    values = {**context, "subject": subject, "link": link}
    text = env.get_template(f"{kind}.txt").render(values)
    html = env.get_template(f"{kind}.html").render(values)
    return Letter(kind, one_line(to, 320), one_line(subject), text, html, link)


def message(row: dict[str, Any], mail_from: str) -> EmailMessage:
    """The message for an outbox row; its Message-ID is the same on every try of that row."""
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = one_line(row["to_address"], 320)
    msg["Subject"] = one_line(row["subject"])
    msg["Date"] = formatdate(row["queued_at"])  # when it was written: the same on every try
    msg["Message-ID"] = message_id(row["id"], row["key"], mail_from)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row["text_body"])
    msg.add_alternative(row["html_body"], subtype="html")
    return msg


def message_id(mail_id: int, key: str, mail_from: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<mail-{mail_id}.{digest}@{domain_of(mail_from)}>"


def domain_of(mail_from: str) -> str:
    address = mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"

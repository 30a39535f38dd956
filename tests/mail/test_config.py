"""SMTP_URL, MAIL_FROM and OWNER_EMAIL are read into typed settings, and refused when wrong."""

from __future__ import annotations

import pytest

from app.mail.config import SmtpServer
from app.settings import SettingsError, load_settings


def test_smtp_urls_say_how_to_connect(test_env: dict[str, str]) -> None:
    starttls = load_settings({**test_env, "SMTP_URL": "smtp://ann:p%40ss@mail.example:587"}).mail
    assert starttls.smtp == SmtpServer("mail.example", 587, "ann", "p@ss", False, True)
    tls = load_settings({**test_env, "SMTP_URL": "smtps://ann:pw@mail.example"}).mail
    assert tls.smtp == SmtpServer("mail.example", 465, "ann", "pw", True, None)
    assert load_settings({**test_env, "SMTP_URL": ""}).mail.smtp is None
    assert "p@ss" not in repr(starttls)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMTP_URL", "http://mail.example"),
        ("SMTP_URL", "smtp://mail.example:99999"),
        ("MAIL_FROM", "not an address"),
        ("OWNER_EMAIL", "owner@"),
        ("MAIL_RETRY_SECONDS", "-1"),
    ],
)
def test_wrong_mail_settings_are_refused_at_start(
    test_env: dict[str, str], name: str, value: str
) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**test_env, name: value})


def test_the_owner_hears_of_sales_only_when_asked(test_env: dict[str, str]) -> None:
    assert not load_settings(test_env).mail.owner_hears_of_sales
    assert load_settings({**test_env, "OWNER_EMAIL_SALES": "on"}).mail.owner_hears_of_sales

"""Settings: read once from the environment, with unsafe combinations refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings


def test_defaults_serve_locally_on_sqlite(tmp_path: Path) -> None:
    settings = load_settings({"SECRET_KEY_FILE": str(tmp_path / "key")})
    assert settings.public_url == "http://127.0.0.1:8000"
    assert (settings.host, settings.port, settings.debug) == ("127.0.0.1", 8000, False)
    assert settings.database.url is None and settings.database.engine_name == "sqlite"
    assert settings.sandbox_mode


def test_a_development_key_is_made_once_and_kept(tmp_path: Path) -> None:
    env = {"SECRET_KEY_FILE": str(tmp_path / "key")}
    first = load_settings(env).secret_key
    assert len(first) >= 32
    assert load_settings(env).secret_key == first
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0
    assert list(tmp_path.iterdir()) == [tmp_path / "key"]


def test_https_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    env = {"PUBLIC_URL": "https://shop.example", "SECRET_KEY_FILE": str(tmp_path / "key")}
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings(env)
    assert not (tmp_path / "key").exists()
    assert load_settings({**env, "SECRET_KEY": "k" * 40, "STRIPE_SECRET_KEY": "sk_live_x"}).https


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"PUBLIC_URL": "shop.example"}, "PUBLIC_URL"),
        ({"SECRET_KEY": "short"}, "at least 32"),
        ({"STRIPE_API_BASE": "ftp://x"}, "STRIPE_API_BASE"),
        ({"METRICS_ALLOW": "everyone"}, "METRICS_ALLOW: 'everyone' is not an IP"),
        ({"METRICS": "sometimes"}, "METRICS"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of text, json"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"DATABASE_WAIT": "-1"}, "DATABASE_WAIT"),
        ({"PROMETHEUS_MULTIPROC_DIR": "/nonexistent/metrics"}, "PROMETHEUS_MULTIPROC_DIR"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"SECRET_KEY_FILE": str(tmp_path / "key"), **env})


def test_every_setting_comes_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "PORT": "9000",
            "HOST": "0.0.0.0",
            "DEBUG": "true",
            "DATABASE_URL": "postgresql://u@db/shop",
            "PUBLIC_URL": "https://shop.example/",
            "SECRET_KEY": "s" * 40,
            "STRIPE_SECRET_KEY": "sk_live_store",
            "SANDBOX_DATABASE_URL": "postgresql://u@db/sandbox",
        }
    )
    assert (settings.port, settings.host, settings.debug) == (9000, "0.0.0.0", True)
    assert settings.public_url == "https://shop.example"
    assert settings.database.engine_name == "postgres"
    assert settings.sandbox_database.url == "postgresql://u@db/sandbox"
    assert not settings.sandbox_mode


def test_operations_settings_default_to_loopback_metrics_and_text_logs(tmp_path: Path) -> None:
    settings = load_settings({"SECRET_KEY_FILE": str(tmp_path / "key")})
    assert [str(net) for net in settings.metrics_allow] == ["127.0.0.0/8", "::1/128"]
    assert (settings.metrics, settings.metrics_dir) == (True, None)
    assert (settings.log_format, settings.log_level, settings.database_wait_seconds) == (
        "text", "INFO", 30.0,
    )  # fmt: skip
    env = {"SECRET_KEY_FILE": str(tmp_path / "key"), "METRICS_ALLOW": "10.0.0.0/8, 192.0.2.7",
           "METRICS": "off", "LOG_FORMAT": "JSON", "LOG_LEVEL": "debug", "DATABASE_WAIT": "5",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}  # fmt: skip
    chosen = load_settings(env)
    assert [str(net) for net in chosen.metrics_allow] == ["10.0.0.0/8", "192.0.2.7/32"]
    assert (chosen.metrics, chosen.metrics_dir) == (False, tmp_path)
    assert (chosen.log_format, chosen.log_level, chosen.database_wait_seconds) == (
        "json", "DEBUG", 5.0,
    )  # fmt: skip


def test_secrets_never_show_in_the_settings_repr() -> None:
    settings = load_settings(
        {
            "SECRET_KEY": "s" * 40,
            "DATABASE_URL": "postgresql://shop:hunter2@db/shop",
            "STRIPE_SECRET_KEY": "sk_live_hidden",
            "STRIPE_WEBHOOK_SECRET": "whsec_hidden",
        }
    )
    text = repr(settings)
    assert "s" * 40 not in text and "hunter2" not in text and "_hidden" not in text


PUBLIC = {"PUBLIC_URL": "https://shop.example", "SECRET_KEY": "k" * 40}


def test_a_public_site_without_stripe_keys_refuses_to_fake_payments() -> None:
    with pytest.raises(SettingsError, match="STRIPE_SECRET_KEY is not set") as refused:
        load_settings(PUBLIC)
    assert "STRIPE_SANDBOX=on" in str(refused.value)


def test_a_public_demo_asks_for_the_sandbox_explicitly() -> None:
    assert load_settings({**PUBLIC, "STRIPE_SANDBOX": "on"}).sandbox_mode
    with pytest.raises(SettingsError, match="both set"):
        load_settings({**PUBLIC, "STRIPE_SANDBOX": "on", "STRIPE_SECRET_KEY": "sk_live_x"})


def test_a_local_store_without_keys_uses_the_sandbox_in_its_own_database(tmp_path: Path) -> None:
    settings = load_settings({"SECRET_KEY_FILE": str(tmp_path / "key")})
    assert settings.sandbox_mode
    assert settings.sandbox_database.sqlite_path != settings.database.sqlite_path

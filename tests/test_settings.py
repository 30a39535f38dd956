"""Settings: read once from the environment, with unsafe combinations refused at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings


def test_defaults_serve_locally_on_sqlite(tmp_path: Path) -> None:
    settings = load_settings({"SECRET_KEY_FILE": str(tmp_path / "key")})
    assert settings.public_url == "http://127.0.0.1:8000"
    assert (settings.host, settings.port, settings.debug) == ("127.0.0.1", 8000, False)
    assert settings.database_url is None and settings.engine_name == "sqlite"
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
    assert load_settings({**env, "SECRET_KEY": "k" * 40}).https


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"PUBLIC_URL": "shop.example"}, "PUBLIC_URL"),
        ({"SECRET_KEY": "short"}, "at least 32"),
        ({"STRIPE_API_BASE": "ftp://x"}, "STRIPE_API_BASE"),
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
        }
    )
    assert (settings.port, settings.host, settings.debug) == (9000, "0.0.0.0", True)
    assert settings.public_url == "https://shop.example"
    assert settings.engine_name == "postgres"

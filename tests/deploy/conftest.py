"""The image, built once for the run, and the containers each test starts, removed after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.deploy.podman import build_image, podman


@pytest.fixture(scope="session")
def image() -> str:
    return build_image()


@pytest.fixture
def containers() -> Iterator[list[str]]:
    """Names of the containers a test starts; all removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        podman("rm", "--force", "--time", "2", name, check=False)

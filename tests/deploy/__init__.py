import pytest

# Its helpers assert what a buyer sees; rewritten, a failure says what the page held.
pytest.register_assert_rewrite("tests.deploy.podman")

from tests.client.conftest import scripted  # noqa: F401

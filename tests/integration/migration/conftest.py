from tests.integration.auth.conftest import sandbox_idp, with_sandbox_idp  # noqa: F401 - fixtures

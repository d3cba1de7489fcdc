"""The hostile-input suite signs in through the same loopback identity providers as the sign-in tests."""

from tests.integration.auth.conftest import (  # noqa: F401 - fixtures
    sandbox_idp,
    scripted,
    scripted_server,
    visitor,
    with_sandbox_idp,
)

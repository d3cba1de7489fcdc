"""After signing in the resident returns to a page of this site, never to another site."""

import pytest

from app.auth.views import safe_return_path


@pytest.mark.parametrize("path", ["/account", "/dashboard?tile=bins", "/account/council-tax/link?next=/x"])
def test_paths_on_this_site_are_kept(path):
    assert safe_return_path(path) == path


@pytest.mark.parametrize(
    "path",
    [None, "", "https://evil.example/", "//evil.example/", "/\\evil.example", "account", "javascript:x"],
)
def test_anything_else_is_dropped(path):
    assert safe_return_path(path) is None

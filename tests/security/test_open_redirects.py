"""Issue 11, item 2: a return path (`next`) leads only to a page of this site. Tabs and newlines that
browsers drop, backslashes they read as slashes, encoded slashes, look-alike Unicode and CR/LF header
injection are refused, never redirected to and never a server error."""

import pytest

from app.auth.views import safe_return_path
from tests.integration.auth.conftest import CLICKED_HERE, path_of

pytestmark = pytest.mark.database_independent

HOSTILE = [
    "/\t/evil.example",
    "/\t\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/x\r\nSet-Cookie: planted=1",
    "/ /evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/\u3000/evil.example",
    "/\uff0fevil.example",
    "\uff0f\uff0fevil.example",
    "/\u200b/evil.example",
    "/\x00/evil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("path", ["/account", "/dashboard?tile=bins", "/a?q=a%20b", "/account#bins"])
def test_paths_of_this_site_are_kept(path):
    assert safe_return_path(path) == path


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_return_paths_are_dropped(path):
    assert safe_return_path(path) is None


@pytest.mark.parametrize("path", HOSTILE)
def test_a_signed_in_resident_is_never_sent_elsewhere(app, visitor, scripted, path):
    assert visitor.sign_in_at_scripted().location == "/dashboard"
    response = visitor.portal("/sign-in", query_string={"next": path})
    if "\x00" in path:
        assert response.status_code == 400, "a NUL in a web address is refused outright"
        return
    assert response.status_code == 302
    assert response.location == "/dashboard"


@pytest.mark.parametrize("path", HOSTILE)
def test_signing_in_with_a_hostile_next_lands_on_the_dashboard(app, visitor, scripted, path):
    response = visitor.portal("/sign-in", query_string={"next": path}, headers=CLICKED_HERE)
    if "\x00" in path:
        assert response.status_code == 400, "a NUL in a web address is refused outright"
        return
    assert response.status_code == 302
    answer = visitor.provider.get(response.location, allow_redirects=False, timeout=5)
    assert visitor.callback(answer.headers["Location"]).location == "/dashboard"


def test_a_path_of_this_site_survives_signing_in(app, visitor, scripted):
    response = visitor.portal("/sign-in?next=/account", headers=CLICKED_HERE)
    answer = visitor.provider.get(response.location, allow_redirects=False, timeout=5)
    assert visitor.portal(path_of(answer.headers["Location"])).location == "/account"


@pytest.mark.parametrize("path", ["/\t/evil.example", "/x\r\nSet-Cookie: planted=1"])
def test_council_tax_linking_drops_hostile_paths(app, visitor, scripted, path):
    assert visitor.sign_in_at_scripted().location == "/dashboard"
    page = visitor.portal("/account/council-tax/link", query_string={"next": path})
    assert page.status_code == 200
    assert "evil.example" not in page.get_data(as_text=True)
    assert "planted" not in page.get_data(as_text=True)

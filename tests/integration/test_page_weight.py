"""The start page stays light: its HTML, stylesheet and scripts (including the modules they import), as a
browser fetches them gzip-compressed, stay within a budget. A size, not a timing: it cannot flake."""

import gzip
import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import ClientRequest

pytestmark = pytest.mark.database_independent

BUDGET_BYTES = 60 * 1024
MODULE_IMPORT = re.compile(r"""(?:\bimport|\bfrom)\s*['"]([^'"]+)['"]""")


def _gzipped_size(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


def _fetch(client_request: ClientRequest, url: str, host: str) -> bytes:
    with client_request.client.get(url, headers={"Host": host}) as response:
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        return response.get_data()


def _start_page_weight(client_request: ClientRequest, host: str) -> dict[str, int]:
    """Every file the browser fetches to show the start page, with its compressed size."""
    page = client_request.get("/", host=host)
    sizes = {"/": _gzipped_size(_fetch(client_request, "/", host))}
    stylesheets = [link["href"] for link in page.select("link[rel=stylesheet]")]
    scripts = [script["src"] for script in page.select("script[src]")]
    for url in stylesheets:
        sizes[url] = _gzipped_size(_fetch(client_request, url, host))
    while scripts:
        url = scripts.pop()
        if urlsplit(url).path in {urlsplit(seen).path for seen in sizes}:
            continue
        body = _fetch(client_request, url, host)
        sizes[url] = _gzipped_size(body)
        scripts.extend(urljoin(url, imported) for imported in MODULE_IMPORT.findall(body.decode("utf-8")))
    return sizes


@pytest.mark.parametrize("host", ["norfolk.localhost", "west-norfolk.localhost"])
def test_the_start_page_weighs_less_than_its_budget(client_request, host):
    sizes = _start_page_weight(client_request, host)
    assert any("govuk-frontend" in url for url in sizes), "modules imported by the page's scripts count too"
    total = sum(sizes.values())
    assert total <= BUDGET_BYTES, (
        f"the start page weighs {total / 1024:.1f} KB gzipped, over its {BUDGET_BYTES // 1024} KB budget: "
        + ", ".join(f"{url} {size / 1024:.1f} KB" for url, size in sizes.items())
    )

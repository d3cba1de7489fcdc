"""A dashboard kept for its session (app/dashboard/page_cache.py): served again without reading the resident,
never once anything it shows may have changed."""

import os
import re
import secrets
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select, update

from app.backoffice import use_registry
from app.dashboard import page_cache
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from app.models.reports import FollowedRequest, Report
from app.reports import claims
from connectors.clock import utcnow
from connectors.http import ParsedMemo
from tests.integration.test_dashboard import PRIYA, TOM, _queries_of, state

HOST = "south-norfolk.localhost"


@pytest.fixture
def kept_pages(app):
    """The app keeps dashboards, its versions under a prefix of this test's own (other test processes share
    the Redis database)."""
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if not url:
        pytest.skip("PORTAL_TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    prefix = f"portal-test:dashboard-page:{secrets.token_hex(4)}:"
    cache = page_cache.PageCache(client, max_seconds=60, max_entries=10, prefix=prefix)
    app.extensions[page_cache.EXTENSION_KEY] = cache
    yield cache
    del app.extensions[page_cache.EXTENSION_KEY]
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _tables_read(statements) -> set[str]:
    return {table for statement in statements for table in re.findall(r'(?:FROM|JOIN)\s+"?(\w+)', statement)}


def _warm_and_kept(client_request, kept_pages, host=HOST):
    """The first dashboard fills the connectors' memos; the second, answered from them alone, is kept."""
    client_request.get("/dashboard", host=host)
    assert len(kept_pages) == 0, "a page with answers from the back offices themselves is not kept"
    page = client_request.get("/dashboard", host=host)
    assert len(kept_pages) == 1
    return page


def _served_from_cache(app, client_request, host=HOST):
    pages = []
    statements = _queries_of(app, lambda: pages.append(client_request.get("/dashboard", host=host)))
    # The database session store reads the session itself; the page asks nothing more.
    return pages[0], _tables_read(statements) <= {"portal_sessions"}


def test_a_kept_dashboard_is_served_again_without_a_query(
    app, sign_in, client_request, back_offices, kept_pages
):
    sign_in(PRIYA, host=HOST, council_tax=True)
    rendered = _warm_and_kept(client_request, kept_pages)
    bins_shown = {"council": "south-norfolk", "tile": "bins", "state": "loaded"}
    before = REGISTRY.get_sample_value("portal_dashboard_tiles_total", bins_shown)
    served, without_queries = _served_from_cache(app, client_request)
    assert without_queries
    assert str(served) == str(rendered)
    for name in ("bins", "council_tax", "planning", "street_reports", "cases"):
        assert state(served, name) == "loaded"
    assert REGISTRY.get_sample_value("portal_dashboard_tiles_total", bins_shown) == before + 1, (
        "counted as shown"
    )


def test_a_dashboard_reads_only_the_tables_whose_writes_are_tracked(
    app, sign_in, client_request, back_offices, kept_pages
):
    sign_in(PRIYA, host=HOST, council_tax=True)
    statements = _queries_of(app, lambda: _warm_and_kept(client_request, kept_pages))
    read = _tables_read(statements) - {"portal_sessions"}
    assert read, statements
    assert read <= page_cache.TRACKED_TABLES, read - page_cache.TRACKED_TABLES


def _rename(app, resident_id):
    with app.app_context():
        db.session.get(Resident, resident_id).name = "Priya Renamed"
        db.session.commit()
    return "Priya Renamed"


def _guest_report_with_her_email(app, resident_id):
    with app.app_context():
        email = db.session.get(Resident, resident_id).email
        db.session.add(
            Report(
                reference="NR-PAGE-1",
                report_type="pothole",
                council_slug="norfolk",
                service_code="POT",
                made_on="norfolk",
                idempotency_key=secrets.token_hex(8),
                description="A pothole",
                email=email.upper(),
                status="sent",
            )
        )
        db.session.commit()
    return "You made 1 report without signing in"


def _claim_her_guest_reports(app, resident_id):
    _guest_report_with_her_email(app, resident_id)
    with app.app_context():
        claims.claim(db.session.get(Resident, resident_id))
        db.session.commit()
    return "NR-PAGE-1"


def _unlink_council_tax(app, resident_id):
    with app.app_context():
        for account in db.session.scalars(
            select(LinkedCouncilAccount).where(LinkedCouncilAccount.resident_id == resident_id)
        ):
            db.session.delete(account)
        db.session.commit()
    return "first prove the account is yours"


def _follow_a_request(app, resident_id):
    with app.app_context():
        db.session.add(
            FollowedRequest(
                council_slug="norfolk", service_request_id="NCC-FOLLOWED", resident_id=resident_id
            )
        )
        db.session.commit()
    return None


def _core_update_of_reports(app, resident_id):
    with app.app_context():
        db.session.execute(update(Report).where(Report.reference == "none").values(description="x"))
        db.session.commit()
    return None


@pytest.mark.parametrize(
    "write",
    [
        _rename,
        _guest_report_with_her_email,
        _claim_her_guest_reports,
        _unlink_council_tax,
        _follow_a_request,
        _core_update_of_reports,
    ],
)
def test_a_write_the_dashboard_may_show_is_seen_at_once(
    app, sign_in, client_request, back_offices, kept_pages, write
):
    resident_id = sign_in(PRIYA, host=HOST, council_tax=True)
    _warm_and_kept(client_request, kept_pages)
    shown = write(app, resident_id)
    assert len(kept_pages) == 0, "this process lets go of the page at once (an erased resident's among them)"
    page, without_queries = _served_from_cache(app, client_request)
    assert not without_queries, "rendered again"
    if shown is not None:
        assert shown in page.get_text(" ", strip=True)


def test_another_resident_s_write_leaves_the_kept_page(
    app, sign_in, client_request, back_offices, kept_pages
):
    sign_in(PRIYA, host=HOST, council_tax=True)
    _warm_and_kept(client_request, kept_pages)
    with app.app_context():
        db.session.add(
            Resident(
                issuer="https://idp.example",
                subject="someone-else",
                email="someone@example.org",
                name="Someone",
            )
        )
        db.session.commit()
    assert _served_from_cache(app, client_request)[1]


def test_a_rolled_back_write_is_not_shown(app, sign_in, client_request, back_offices, kept_pages):
    resident_id = sign_in(PRIYA, host=HOST, council_tax=True)
    _warm_and_kept(client_request, kept_pages)
    with app.app_context():
        db.session.get(Resident, resident_id).name = "Not saved"
        db.session.flush()
        db.session.rollback()
    page, _ = _served_from_cache(app, client_request)
    assert "Not saved" not in page.get_text()


def test_a_kept_page_is_not_served_once_the_session_has_ended(
    app, client, sign_in, client_request, back_offices, kept_pages
):
    resident_id = sign_in(PRIYA, host=HOST, council_tax=True)
    _warm_and_kept(client_request, kept_pages)
    with app.app_context():
        app.session_interface.store.delete_for_resident(resident_id)
    response = client.get("/dashboard", headers={"Host": HOST})
    assert response.status_code == 302
    assert response.location.startswith("/sign-in")


def test_a_message_waiting_for_the_resident_is_shown_not_a_kept_page(
    app, client, sign_in, client_request, back_offices, kept_pages
):
    sign_in(PRIYA, host=HOST, council_tax=True)
    _warm_and_kept(client_request, kept_pages)
    with client.session_transaction(base_url=f"http://{HOST}") as session:
        session["_flashes"] = [("auth-notice", "Your council tax account is no longer linked")]
    page = client_request.get("/dashboard", host=HOST)
    assert "Your council tax account is no longer linked" in page.get_text()
    page = client_request.get("/dashboard", host=HOST)
    assert "Your council tax account is no longer linked" not in page.get_text(), "shown once"


def test_each_council_s_domain_has_its_own_kept_page(
    app, client, sign_in, client_request, back_offices, kept_pages
):
    sign_in(PRIYA, host=HOST, council_tax=True)
    _warm_and_kept(client_request, kept_pages)
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name, domain=HOST) or client.get_cookie(name)
    client.set_cookie(name, cookie.value, domain="norwich.localhost")
    response = client.get("/dashboard", headers={"Host": "norwich.localhost"})
    assert response.status_code == 200
    footer = response.get_data(as_text=True).split("<footer")[1]
    assert "Norwich City Council" in footer and "South Norfolk Council" not in footer
    assert _served_from_cache(app, client_request)[1], "the South Norfolk page is still kept"


def test_a_kept_page_ends_with_its_freshest_answer_the_day_or_a_dropped_answer(
    app, sign_in, client_request, back_offices, kept_pages, monkeypatch
):
    sign_in(TOM, host=HOST)
    _warm_and_kept(client_request, kept_pages)
    (kept,) = kept_pages._pages.values()
    assert kept.until <= utcnow() + timedelta(seconds=60)

    ParsedMemo().drop(lambda key: False)  # as a write to a back office does (HttpClient.forget)
    assert not _served_from_cache(app, client_request)[1]
    assert _served_from_cache(app, client_request)[1], "kept again"

    (kept,) = kept_pages._pages.values()
    monkeypatch.setattr(page_cache, "utcnow", lambda: kept.until)
    assert not _served_from_cache(app, client_request)[1]


def test_a_kept_page_is_not_shown_once_the_connectors_are_replaced(
    app, sandbox, tmp_path, sign_in, client_request, back_offices, kept_pages
):
    sign_in(TOM, host=HOST)
    _warm_and_kept(client_request, kept_pages)
    use_registry(app, sandbox.registry(tmp_path / "other-connector-cache"))
    assert not _served_from_cache(app, client_request)[1], "built from the replaced connectors' memos"


def test_nothing_is_kept_for_a_page_with_a_query_string_or_without_redis(
    app, sign_in, client_request, back_offices, kept_pages
):
    sign_in(TOM, host=HOST)
    for _ in range(3):
        client_request.get("dashboard.show", host=HOST, values={"javascript": "off"})
    assert len(kept_pages) == 0
    with app.test_request_context("/dashboard", headers={"Host": HOST}):
        del app.extensions[page_cache.EXTENSION_KEY]
        try:
            assert page_cache.page_request(runs_javascript=False) is None
        finally:
            app.extensions[page_cache.EXTENSION_KEY] = kept_pages

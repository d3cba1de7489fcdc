"""Every staff route, found in the app's URL map, writes at least one entry in the staff audit trail for every
method it answers: a route added without one fails here."""

from app.theming import STAFF_BLUEPRINTS
from tests.integration.staff.conftest import SUPERVISOR, audit_entries, open_record, token_of

SAMPLE_VALUES = {
    "kind": "comment",
    "action": "retry",
    "message_id": 99999,
    "feedback_id": 99999,
    "decision": "approve",
    "reference": "NFK-0000-0000",
    "photo_token": "no-such-photo",
    "request_id": "no-such-request",
    "code": "bin_type",
    "signed": "not-a-signature",
}


def staff_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.partition(".")[0] in STAFF_BLUEPRINTS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_staff_route_writes_an_audit_entry(app, staff, tom):
    browser = staff(SUPERVISOR)
    browser.submit("/staff/working-for", {"council": "norwich"})
    open_record(browser, tom.resident_id)
    journey = browser.submit(
        f"/staff/report?resident={tom.resident_id}", {"report_type": "missed-bin", "channel": "phone"}
    )
    values = {**SAMPLE_VALUES, "resident_id": tom.resident_id, "token": token_of(journey.location)}
    routes = sorted(staff_routes(app), key=lambda route: route[0].endpoint == "staff.sign_out")
    assert len(routes) > 20
    csrf_token = browser.csrf_token()
    silent = []
    for rule, method in routes:
        with app.test_request_context(base_url="http://staff.localhost"):
            path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
        before = len(audit_entries(app))
        response = browser.get(path) if method == "GET" else browser.post(path, {"csrf_token": csrf_token})
        if len(audit_entries(app)) == before:
            silent.append(f"{method} {path} ({rule.endpoint}) answered {response.status_code}")
    assert not silent, "Staff routes that wrote no audit entry:\n" + "\n".join(silent)

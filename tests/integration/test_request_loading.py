"""What every signed-in page loads per request: the resident's own row in one query (their linked accounts
only when a page reads them), and the templates' translations looked up once per request (and again when the
locale changes)."""

import secrets

from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import event, inspect

from app import i18n as portal
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from app.sessions import _load_resident


def test_the_resident_is_one_query_and_their_linked_accounts_come_when_a_page_reads_them(app_context):
    resident = Resident(issuer="https://idp.example", subject=secrets.token_hex(8), name="Priya Shah")
    resident.linked_accounts.append(
        LinkedCouncilAccount(service="council-tax", council_gss="E07000149", account_reference="SN123")
    )
    db.session.add(resident)
    db.session.commit()
    resident_id = resident.id
    db.session.expunge_all()
    statements = []

    def record(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        loaded = _load_resident(str(resident_id))
        assert len(statements) == 1, statements
        assert "linked_council_accounts" not in statements[0], "pages that do not read them do not load them"
        assert "linked_accounts" in inspect(loaded).unloaded
        assert [account.account_reference for account in loaded.linked_accounts] == ["SN123"]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 2, statements
    db.session.delete(loaded)
    db.session.commit()


def test_templates_look_up_the_requests_translations_once_and_again_for_another_locale(app, monkeypatch):
    lookups = []
    real = portal.get_translations

    def counted():
        lookups.append(1)
        return real()

    monkeypatch.setattr(portal, "get_translations", counted)
    template = (
        "{{ _('Skip to main content') }}|{{ _('Sign out') }}|{{ ngettext('%(num)d day', '%(num)d days', 2) }}"
    )
    with app.test_request_context("/", headers={"Host": "norwich.localhost"}):
        assert render_template_string(template) == "Skip to main content|Sign out|2 days"
        first = len(lookups)
        assert render_template_string(template) == "Skip to main content|Sign out|2 days"
        assert len(lookups) == first, "the second page reuses the request's translations"
        with force_locale("cy"):
            render_template_string(template)
        assert len(lookups) == first + 1, "another locale gets its own translations"
        render_template_string(template)
        assert len(lookups) == first + 2, "back in the request's own locale, its translations again"

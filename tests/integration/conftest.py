"""Fixtures for the integration tests of signed-in pages: the sandbox's back offices, and a resident signed in
through the sandbox identity provider with a home and, if asked, a linked council tax account."""

from pathlib import Path

import pytest
from sqlalchemy import select

from app import gazetteer_import
from app.backoffice import use_registry
from app.extensions import db
from app.models.identity import LinkedCouncilAccount, Resident
from tests.integration.auth.conftest import Visitor, sandbox_idp, with_sandbox_idp  # noqa: F401 - fixtures

GAZETTEER = Path(__file__).resolve().parents[2] / "sandbox" / "data" / "gazetteer.csv"


@pytest.fixture
def back_offices(app, connector_registry):
    use_registry(app, connector_registry)
    with app.app_context():
        gazetteer_import.import_file(GAZETTEER)
    yield connector_registry
    use_registry(app, None)


@pytest.fixture
def sign_in(app, client, with_sandbox_idp):  # noqa: F811 - the imported fixture
    def sign_in(demo, *, host, home=True, council_tax=False) -> int:
        """Sign in through the sandbox identity provider; then give the resident a home and an account."""
        assert Visitor(client, host=host).sign_in_at_sandbox(demo).status_code == 302
        with app.app_context():
            resident = db.session.scalar(select(Resident).where(Resident.subject == demo.subject))
            resident.home_uprn = demo.uprn if home else None
            if council_tax:
                resident.linked_accounts.append(
                    LinkedCouncilAccount(
                        service="council-tax",
                        council_gss=demo.district_gss,
                        account_reference=demo.council_tax_reference,
                    )
                )
            db.session.commit()
            return resident.id

    return sign_in

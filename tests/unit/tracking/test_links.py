"""The signed links in emails: confirming a guest's subscription and unsubscribing."""

import pytest
from itsdangerous import URLSafeTimedSerializer

from app.extensions import db
from app.models.identity import Resident
from app.tracking import followers


@pytest.fixture
def subscription(app_context):
    found = followers.subscribe(
        "norfolk", "NCC-000001", "Someone@Example.com", resident_id=None, confirmed=False
    )
    db.session.commit()
    return found


def test_a_confirm_link_finds_its_subscription(subscription):
    assert subscription.email == "someone@example.com"
    assert not subscription.active
    assert followers.subscription_to_confirm(followers.confirm_token(subscription)) == subscription


def test_links_are_not_interchangeable_or_forgeable(app, subscription):
    with pytest.raises(followers.LinkProblem):
        followers.subscription_to_end(followers.confirm_token(subscription))
    forged = URLSafeTimedSerializer("not-our-key", salt=followers.UNSUBSCRIBE_SALT).dumps(
        [subscription.id, subscription.email]
    )
    with pytest.raises(followers.LinkProblem) as problem:
        followers.subscription_to_end(forged)
    assert not problem.value.expired


def test_a_link_for_an_address_no_longer_following_finds_nothing(subscription):
    token = followers.unsubscribe_token(subscription)
    subscription.email = "changed@example.com"
    db.session.commit()
    assert followers.subscription_to_end(token) is None


def test_an_old_confirm_link_has_expired(app, subscription, monkeypatch):
    token = followers.confirm_token(subscription)
    monkeypatch.setitem(app.config, "TRACKING_CONFIRM_LINK_DAYS", -1)
    with pytest.raises(followers.LinkProblem) as problem:
        followers.subscription_to_confirm(token)
    assert problem.value.expired


def test_following_again_after_unsubscribing_starts_again(subscription):
    resident = Resident(issuer="https://idp.test", subject="s-follow", email="someone@example.com")
    db.session.add(resident)
    db.session.flush()
    subscription.unsubscribed_at = followers.utcnow()
    again = followers.subscribe(
        "norfolk", "NCC-000001", "someone@example.com", resident_id=resident.id, confirmed=True
    )
    assert again.id == subscription.id
    assert again.active and again.resident_id == resident.id

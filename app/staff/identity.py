"""Who a signed-in council staff member is and what they may do.

Their roles come from the workforce identity provider's ID token at each sign-in (the claim named by
PORTAL_STAFF_OIDC_ROLES_CLAIM), each `<council-slug>:<role>` or `*:<role>` for every council. Least privilege:
an *agent* finds residents, sees their single view and acts for them, for the councils the role names; a
*supervisor* may also read the audit log and handle parked deliveries for those councils. A staff member with
several councils works for one at a time (the council their looks and actions are recorded against).

Staff are kept in their own session (their own cookie, on the staff hosts only), never in flask-login's
current_user, so a staff session can never be taken for a resident's.
Which pages they may open is app.staff.access.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app, g, redirect, session, url_for

from app.theming import themes

SESSION_KEY = "staff"
AGENT = "agent"
SUPERVISOR = "supervisor"
# Each role includes the ones before it.
ROLES = (AGENT, SUPERVISOR)


def grants_from_claim(values: object, council_slugs: Iterable[str]) -> dict[str, str]:
    """{council slug: highest role} from the roles claim; unknown councils and roles are ignored."""
    known = set(council_slugs)
    grants: dict[str, str] = {}
    if isinstance(values, str):
        values = values.split()
    if not isinstance(values, list | tuple):
        return grants
    for value in values:
        if not isinstance(value, str) or ":" not in value:
            continue
        council, _, role = value.strip().rpartition(":")
        if role not in ROLES:
            continue
        for slug in sorted(known) if council == "*" else ([council] if council in known else []):
            if slug not in grants or ROLES.index(role) > ROLES.index(grants[slug]):
                grants[slug] = role
    return grants


@dataclass(frozen=True)
class StaffMember:
    subject: str
    issuer: str
    name: str | None
    email: str | None
    grants: dict[str, str]
    working_for: str | None
    auth_time: int
    id_token: str | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        return self.email or self.subject

    def role_for(self, council: str | None) -> str | None:
        return self.grants.get(council) if council else None

    @property
    def role(self) -> str | None:
        return self.role_for(self.working_for)

    @property
    def is_supervisor(self) -> bool:
        return self.role == SUPERVISOR

    @property
    def councils(self) -> list[str]:
        return sorted(self.grants, key=lambda slug: themes().get(slug).name)

    def supervises(self) -> list[str]:
        return [slug for slug in self.councils if self.grants[slug] == SUPERVISOR]

    def signed_in_within(self, seconds: int) -> bool:
        return time.time() - self.auth_time <= seconds

    def to_session(self) -> dict:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "name": self.name,
            "email": self.email,
            "grants": dict(self.grants),
            "working_for": self.working_for,
            "auth_time": self.auth_time,
            "id_token": self.id_token,
        }

    @classmethod
    def from_session(cls, data: dict) -> StaffMember | None:
        try:
            return cls(**data)
        except TypeError:
            return None


def current_staff() -> StaffMember | None:
    if "staff_member" not in g:
        data = session.get(SESSION_KEY)
        g.staff_member = StaffMember.from_session(data) if isinstance(data, dict) else None
    return g.staff_member


def remember(member: StaffMember) -> None:
    session[SESSION_KEY] = member.to_session()
    g.staff_member = member


def reauthentication_window() -> int:
    return current_app.config["STAFF_REAUTHENTICATE_MINUTES"] * 60


def needs_reauthentication() -> bool:
    member = current_staff()
    return member is not None and not member.signed_in_within(reauthentication_window())


def reauthenticate(return_to: str):
    """To the provider to enter the password again, coming back to `return_to` (a GET page: a form's answers
    are already saved, so nothing typed is lost)."""
    return redirect(url_for("staff.sign_in", next=return_to, again="1"))

"""The made-up council staff the sandbox identity provider signs in to the staff client, standing in for the
councils' workforce provider (Microsoft Entra ID in production). Their roles go in the ID token's `roles`
claim as `<council-slug>:<role>`, or `*:<role>` for every council."""

from dataclasses import dataclass

STAFF_PASSWORD = "demo-staff-password"  # noqa: S105 - a published development password


@dataclass(frozen=True)
class DemoStaff:
    subject: str
    given_name: str
    family_name: str
    email: str
    roles: tuple[str, ...]
    story: str
    password: str = STAFF_PASSWORD

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


DEMO_STAFF = (
    DemoStaff(
        subject="staff-0001-norwich-agent",
        given_name="Nadia",
        family_name="Norwich",
        email="agent.norwich@staff.example",
        roles=("norwich:agent",),
        story="Contact centre agent for Norwich City Council.",
    ),
    DemoStaff(
        subject="staff-0002-breckland-agent",
        given_name="Ben",
        family_name="Breckland",
        email="agent.breckland@staff.example",
        roles=("breckland:agent",),
        story="Contact centre agent for Breckland Council.",
    ),
    DemoStaff(
        subject="staff-0003-supervisor",
        given_name="Sam",
        family_name="Supervisor",
        email="supervisor@staff.example",
        roles=("*:supervisor",),
        story="Contact centre supervisor for every council: the audit log and parked deliveries.",
    ),
)


def staff_by_subject(subject: str) -> DemoStaff | None:
    return next((member for member in DEMO_STAFF if member.subject == subject), None)

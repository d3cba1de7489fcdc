"""A resident's sign-ins, in their data export; erasing them keeps the count (for the councils' insights and
cost sharing) and removes who it was."""

from __future__ import annotations

from sqlalchemy import select, update

from app.extensions import db
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.insights import SignIn


def export_sign_ins(resident: Resident) -> list[dict]:
    return [
        {"council": sign_in.council_slug, "signed_in_at": sign_in.signed_in_at.isoformat()}
        for sign_in in db.session.scalars(
            select(SignIn).where(SignIn.resident_id == resident.id).order_by(SignIn.id)
        )
    ]


def forget_sign_ins(resident: Resident) -> None:
    db.session.execute(update(SignIn).where(SignIn.resident_id == resident.id).values(resident_id=None))


register_personal_data(PersonalDataSource("sign_ins", export_sign_ins, forget_sign_ins))

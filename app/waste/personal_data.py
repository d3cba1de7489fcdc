"""Waste orders in "download my data" and "delete my portal data".

Deleting keeps what the council's finance and waste records need (what was bought, for which address, the
amount and the payment), but the portal forgets who bought it: the resident link, the email address and the
phone number. Unfinished orders, which hold nothing paid for, go altogether.
"""

from sqlalchemy import delete, select, update

from app.extensions import db
from app.models.identity import PersonalDataSource, Resident, register_personal_data
from app.models.waste import OrderPayment, OrderStatus, WasteOrder


def export_orders(resident: Resident) -> list[dict]:
    found = db.session.scalars(
        select(WasteOrder).where(WasteOrder.resident_id == resident.id).order_by(WasteOrder.created_at)
    )
    return [
        {
            "reference": order.reference,
            "kind": order.kind,
            "council": order.council_slug,
            "status": order.status,
            "address": order.address,
            "email": order.email,
            "phone": order.phone,
            "answers": {key: value for key, value in (order.answers or {}).items() if value is not None},
            "lines": order.lines,
            "amount_pence": order.amount_pence,
            "collection_date": order.collection_date.isoformat() if order.collection_date else None,
            "permit_number": order.permit_number,
            "created_at": order.created_at.isoformat() if order.created_at else None,
            "paid_at": order.paid_at.isoformat() if order.paid_at else None,
            "refunded_at": order.refunded_at.isoformat() if order.refunded_at else None,
        }
        for order in found
    ]


def forget_resident_in_orders(resident: Resident) -> None:
    unpaid = select(WasteOrder.id).where(
        WasteOrder.resident_id == resident.id,
        WasteOrder.status == OrderStatus.DRAFT,
        WasteOrder.payment_id.is_(None),
    )
    db.session.execute(
        delete(OrderPayment)
        .where(OrderPayment.order_id.in_(unpaid))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(WasteOrder)
        .where(WasteOrder.id.in_(unpaid.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(WasteOrder)
        .where(WasteOrder.resident_id == resident.id)
        .values(resident_id=None, email=None, phone=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(PersonalDataSource("waste_orders", export_orders, forget_resident_in_orders))

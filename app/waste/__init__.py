"""Paid waste services: bulky waste collections and garden waste subscriptions, paid through GOV.UK Pay and
booked with the district's waste system through the outbox (app/waste/orders.py)."""

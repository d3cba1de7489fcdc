"""The resident's dashboard: one tile per service, fetched concurrently from every council's back office
within one time budget (tiles.py), and the bin collection calendar (calendar.py)."""

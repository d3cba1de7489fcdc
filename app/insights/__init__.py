"""Council insights for supervisors on the staff host: demand, channels, speed and parked deliveries per
council, aggregated by SQL (queries), drawn as server-side SVG charts (charts) and exported as CSV or JSON
with small counts suppressed (exports)."""

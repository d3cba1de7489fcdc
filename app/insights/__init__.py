"""Council insights for supervisors on the staff host: demand, channels, speed, closing, availability,
sign-ins, feedback and each council's share of the platform's use, aggregated by SQL (queries) over the
reports' daily rollup and the usage counters (rollup), drawn as server-side SVG charts (charts) and exported
as CSV or JSON with small counts suppressed (exports)."""

"""Operating the portal: logs, metrics, traces and health checks (docs/operating.md)."""

"""gunicorn's settings for the portal; gunicorn reads this file when started in the project's folder
(`gunicorn wsgi:app`), or name it with `-c gunicorn.conf.py`. Options on the command line win. The container
image (Dockerfile) and `make bench-scale` start the portal with it.

Threaded workers: a page may wait on councils' back offices, and waiting threads cost little. Each worker's
database pool holds one connection per thread (app/database.py), so no request ever waits for one.

Logs: gunicorn's error and access logs are the portal's JSON lines on standard output
(app/observability/gunicorn_logger.py). Metrics: every worker counts into PROMETHEUS_MULTIPROC_DIR (a fresh
folder per start), and /metrics adds them up.
"""

import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("PORTAL_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("PORTAL_WEB_WORKERS") or os.cpu_count() or 1)
threads = int(os.environ.get("PORTAL_WEB_THREADS") or 8)
# A worker busy longer than this is restarted; the dashboard's own budget is a few seconds.
timeout = int(os.environ.get("PORTAL_WEB_TIMEOUT") or 30)
# On SIGTERM (a rolling deploy, a scale-in) requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("PORTAL_WEB_GRACEFUL_TIMEOUT") or 20)
# Behind a reverse proxy that keeps connections open to the app servers.
keepalive = 5
logger_class = "app.observability.gunicorn_logger.JsonLogger"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PORTAL_LOG_LEVEL", "info").lower()
# gunicorn's control socket (~/.gunicorn/gunicorn.ctl) is shared by every server started by the same user and
# the portal never uses it.
control_socket_disable = True


def on_starting(server):
    """Prometheus' multiprocess files: PROMETHEUS_MULTIPROC_DIR, or a folder of this server's own, emptied
    at start (files from an earlier run would add old counts to new ones). Workers inherit the variable."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def post_fork(server, worker):
    """Tell the worker's app how many threads serve requests, before it loads: its pool is sized from them."""
    os.environ["PORTAL_SERVER_THREADS"] = str(server.cfg.threads)


def child_exit(server, worker):
    """A worker's gauges leave with it (its counters are kept, as Prometheus expects)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

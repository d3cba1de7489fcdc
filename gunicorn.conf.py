"""gunicorn's settings for the portal; gunicorn reads this file when started in the project's folder
(`gunicorn wsgi:app`), or name it with `-c gunicorn.conf.py`. Options on the command line win.

Threaded workers: a page may wait on councils' back offices, and waiting threads cost little. Each worker's
database pool holds one connection per thread (app/database.py), so no request ever waits for one.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("PORTAL_WEB_WORKERS") or os.cpu_count() or 1)
threads = int(os.environ.get("PORTAL_WEB_THREADS") or 8)
# gunicorn's control socket (~/.gunicorn/gunicorn.ctl) is shared by every server started by the same user and
# the portal never uses it.
control_socket_disable = True


def post_fork(server, worker):
    """Tell the worker's app how many threads serve requests, before it loads: its pool is sized from them."""
    os.environ["PORTAL_SERVER_THREADS"] = str(server.cfg.threads)

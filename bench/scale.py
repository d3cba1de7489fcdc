"""`make bench-scale`: the portal scaled out as the container image runs it, under load, losing an app server
and a delivery worker halfway.

Started here, each as its own process: the sandbox (every council's back office), a GOV.UK Notify stand-in,
two portal app servers (gunicorn with the repository's gunicorn.conf.py, as the image's command: two workers
each), nginx in front of them (docs/operating.md's proxy settings), and two `flask worker`s, all in
production mode on PostgreSQL (127.0.0.1:5432, database my_norfolk_bench_scale, made afresh) and Redis
(127.0.0.1:6379, database 13, emptied). locust (bench/scale_locust.py) then drives BENCH_DASHBOARD_USERS
signed-in residents (200) opening their dashboards and BENCH_GUESTS guests (50) reporting street lights
through the whole journey for BENCH_SECONDS (60); halfway, one app server and one worker are killed
(SIGKILL, as a crash). When the load stops the bench waits for the surviving worker to deliver everything,
then counts, in the portal's database and in the sandbox's Open311 store:

    requests                    every request locust made
    failed requests             those that failed (an error status or no answer)
    failed after failover       failures from the kill on, and their share of that period's requests
    reports made                reports in the portal's database
    reports delivered           of them, those the council's back office holds (by the portal's reference)
    reports lost                made but never delivered
    reports delivered twice     created twice in the back office, or sent twice by the outbox
    dashboard p95 (ms)          95th percentile of the dashboard's response time, through nginx

Needs nginx (installed with apt-get when missing) and locust (a dev dependency). Not part of `make test`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
DATABASE = "my_norfolk_bench_scale"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DASHBOARD_USERS = int(os.environ.get("BENCH_DASHBOARD_USERS", 200))
GUESTS = int(os.environ.get("BENCH_GUESTS", 50))
SECONDS = int(os.environ.get("BENCH_SECONDS", 60))
# A killed worker's claimed messages wait for their lease to run out before the other worker retries them.
LEASE_SECONDS = 15
DRAIN_SECONDS = 120
NIL_UUID = "00000000-0000-0000-0000-000000000000"
WORK = Path(tempfile.mkdtemp(prefix="bench-scale-"))
sys.path.insert(0, str(ROOT))

from bench.support import free_port, say, wait_for  # noqa: E402


def ensure_nginx() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=False, timeout=600)
    if not Path(nginx).exists():
        raise SystemExit("nginx is not installed and apt-get could not install it")
    return nginx


NGINX_CONF = """
daemon off;
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    upstream portal {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {work}/proxy.crt;
        ssl_certificate_key {work}/proxy.key;
        client_max_body_size 13m;
        location / {{
            proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Request-ID $request_id;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


class Stack:
    def __init__(self):
        self.processes: dict[str, subprocess.Popen] = {}
        self.sandbox_port = free_port()
        self.notify_port = free_port()
        self.clamd_port = free_port()
        self.portal_ports = [free_port(), free_port()]
        self.proxy_port = free_port()
        self.sandbox_dir = WORK / "sandbox"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PORTAL_ENV": "production",
            "PORTAL_SECRET_KEY": secrets.token_urlsafe(32),
            "PORTAL_DATABASE_URL": f"{POSTGRES}/{DATABASE}",
            "PORTAL_REDIS_URL": REDIS_URL,
            "PORTAL_APP_SERVERS": "2",
            "PORTAL_WEB_WORKERS": "2",
            "PORTAL_PROXY_HOPS": "1",
            "PORTAL_INSTANCE_DIR": str(WORK / "instance"),
            "PORTAL_METRICS_TOKEN": secrets.token_urlsafe(16),
            "PORTAL_SANDBOX_PORT": str(self.sandbox_port),
            "PORTAL_SANDBOX_API_KEY": secrets.token_urlsafe(16),
            # Notify's client checks the key's shape (name, service id, secret); the stand-in ignores it.
            "PORTAL_NOTIFY_API_KEY": f"bench-{NIL_UUID}-{NIL_UUID}",
            "PORTAL_NOTIFY_TEMPLATE_ID": NIL_UUID,
            "PORTAL_NOTIFY_BASE_URL": f"http://127.0.0.1:{self.notify_port}",
            "PORTAL_CLAMD_ADDRESS": f"127.0.0.1:{self.clamd_port}",
            "PORTAL_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
            "PORTAL_DELIVERY_BASE_DELAY_SECONDS": "2",
            "PORTAL_LOG_LEVEL": "warning",
            # Every guest comes from the load tool's one address: the per-address limit would stop them.
            "PORTAL_REPORT_RATE_LIMIT": "100000 per hour",
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    def start(self, name: str, command: list[str], **env) -> subprocess.Popen:
        log = open(WORK / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children (a gunicorn master and its workers): a crash."""
        os.killpg(self.processes[name].pid, signal.SIGKILL)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def prepare_database(env: dict) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    engine.dispose()
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["gazetteer", "import", "sandbox/data/gazetteer.csv"]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)


def signed_in_residents(env: dict, count: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``count`` residents with homes from the sandbox gazetteer, each signed in (council host, cookie name,
    cookie), and every council's host."""
    os.environ.update(env)
    import redis

    from app import create_app
    from app.extensions import db
    from app.models.gazetteer import GazetteerAddress
    from app.models.identity import Resident
    from app.sessions import RedisSessionStore, StoredSession, hash_session_id, utcnow

    redis.Redis.from_url(REDIS_URL).flushdb()
    app = create_app()
    themes = app.extensions["themes"]
    sessions = []
    with app.app_context():
        homes = db.session.scalars(db.select(GazetteerAddress).order_by(GazetteerAddress.uprn)).all()
        idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
        store = RedisSessionStore(redis.Redis.from_url(REDIS_URL), idle)
        for number in range(count):
            home = homes[number % len(homes)]
            resident = Resident(
                issuer="https://bench.invalid", subject=f"bench-{number}", home_uprn=home.uprn
            )
            db.session.add(resident)
            db.session.flush()
            session_id = secrets.token_urlsafe(32)
            now = utcnow()
            store.save(
                hash_session_id(session_id),
                StoredSession(data={"_user_id": str(resident.id)}, created_at=now, last_active_at=now),
            )
            theme = list(themes)[number % len(list(themes))]
            sessions.append((theme.domains[0], app.config["SESSION_COOKIE_NAME"], session_id))
        db.session.commit()
        guest_hosts = [theme.domains[0] for theme in themes]
        db.engine.dispose()
    return sessions, guest_hosts


def warm_up(proxy: str, sessions: list[tuple[str, str, str]]) -> None:
    """Each resident's dashboard once, eight at a time, before the load: a running service's connector cache
    is warm (the councils' answers are cached for minutes to hours, connectors/sandbox.toml's [ttl])."""
    from concurrent.futures import ThreadPoolExecutor

    import requests
    import urllib3

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def open_dashboard(session: tuple[str, str, str]) -> int:
        host, cookie_name, cookie = session
        answer = requests.get(
            f"{proxy}/dashboard",
            headers={"Host": host, "Cookie": f"{cookie_name}={cookie}"},
            verify=False,  # noqa: S501 - the bench's own self-signed certificate
            allow_redirects=False,
            timeout=60,
        )
        return answer.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(open_dashboard, sessions))
    if set(statuses) != {200}:
        raise SystemExit(f"warming up, the dashboards answered {sorted(set(statuses))}")


def notify_stand_in() -> str:
    return (
        "from flask import Flask, jsonify\n"
        "app = Flask('notify')\n"
        "@app.post('/v2/notifications/email')\n"
        "def email():\n"
        "    return jsonify(id='00000000-0000-0000-0000-000000000001', content={}, template={}), 201\n"
    )


def outcome(env: dict, sandbox_db: Path) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["PORTAL_DATABASE_URL"])
    with engine.connect() as connection:
        made = connection.execute(text("SELECT reference, status FROM reports")).all()
        sent_twice_by_outbox = connection.scalar(
            text(
                "SELECT count(*) FROM (SELECT message_id FROM delivery_attempts WHERE outcome = 'delivered' "
                "GROUP BY message_id HAVING count(*) > 1) AS twice"
            )
        )
        waiting = connection.scalar(text("SELECT count(*) FROM outbox_messages WHERE status = 'pending'"))
    engine.dispose()
    with sqlite3.connect(sandbox_db) as store:
        held = dict(
            store.execute(
                "SELECT device_id, count(*) FROM requests WHERE device_id IS NOT NULL GROUP BY device_id"
            ).fetchall()
        )
    references = {reference for reference, _ in made}
    delivered = references & held.keys()
    created_twice = sum(1 for reference in references if held.get(reference, 0) > 1)
    return {
        "made": len(references),
        "delivered": len(delivered),
        "lost": len(references - delivered),
        "twice": max(created_twice, sent_twice_by_outbox),
        "waiting": waiting,
    }


def drain(env: dict, sandbox_db: Path) -> dict[str, int]:
    deadline = time.monotonic() + DRAIN_SECONDS
    counted = outcome(env, sandbox_db)
    while counted["waiting"] and time.monotonic() < deadline:
        time.sleep(2)
        counted = outcome(env, sandbox_db)
    return counted


def main() -> None:
    nginx = ensure_nginx()
    stack = Stack()
    env = stack.env
    try:
        prepare_database(env)
        sessions, guest_hosts = signed_in_residents(env, DASHBOARD_USERS)
        (WORK / "sessions.json").write_text(json.dumps(sessions))
        (WORK / "notify.py").write_text(notify_stand_in())

        factory = f"create_sandbox_app({str(stack.sandbox_dir)!r})"
        gunicorn = str(BIN / "gunicorn")
        stack.start("clamd", [str(BIN / "python"), "-m", "sandbox.clamd", "--port", str(stack.clamd_port)])
        stack.start(
            "sandbox",
            [
                gunicorn,
                "-w",
                "1",
                "-k",
                "gthread",
                "--threads",
                "32",
                "--no-control-socket",
                "-b",
                f"127.0.0.1:{stack.sandbox_port}",
                f"sandbox:{factory}",
            ],
            PORTAL_ENV="development",
        )
        stack.start(
            "notify",
            [
                gunicorn,
                "-w",
                "1",
                "--no-control-socket",
                "-b",
                f"127.0.0.1:{stack.notify_port}",
                "notify:app",
            ],
            PYTHONPATH=str(WORK),
        )
        for number, port in enumerate(stack.portal_ports, start=1):
            # The image's command: gunicorn wsgi:app, configured by gunicorn.conf.py.
            stack.start(
                f"portal-{number}",
                [gunicorn, "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                PORTAL_BIND=f"127.0.0.1:{port}",
                PROMETHEUS_MULTIPROC_DIR=str(WORK / f"metrics-{number}"),
            )
        for number in (1, 2):
            stack.start(
                f"worker-{number}",
                [str(BIN / "flask"), "--app", "wsgi", "worker"],
                PORTAL_WORKER_HEARTBEAT_FILE=str(WORK / f"worker-{number}.heartbeat"),
            )
        # TLS ends at the proxy, as in production: the portal's cookies are Secure.
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=bench",
                "-keyout",
                str(WORK / "proxy.key"),
                "-out",
                str(WORK / "proxy.crt"),
            ],
            check=True,
            capture_output=True,
        )
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in stack.portal_ports
        )
        (WORK / "nginx.conf").write_text(NGINX_CONF.format(work=WORK, servers=servers, port=stack.proxy_port))
        stack.start("nginx", [nginx, "-p", str(WORK), "-c", str(WORK / "nginx.conf")])
        for port in (stack.sandbox_port, stack.notify_port, *stack.portal_ports, stack.proxy_port):
            wait_for(port, seconds=60)
        proxy = f"https://127.0.0.1:{stack.proxy_port}"
        ready = subprocess.run(
            ["curl", "-skf", "-H", "Host: 10.0.0.5", f"{proxy}/readyz"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if ready.returncode != 0:
            raise SystemExit(f"the portal is not ready: {ready.stdout}")

        warm_up(proxy, sessions)
        results = WORK / "locust.json"
        started = time.time()
        failover_at = started + SECONDS / 2
        locust = subprocess.Popen(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "scale_locust.py"),
                "--headless",
                "-u",
                str(DASHBOARD_USERS + GUESTS),
                "-r",
                "25",
                "-t",
                f"{SECONDS}s",
                "--host",
                proxy,
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "BENCH_SESSIONS": str(WORK / "sessions.json"),
                "BENCH_FAILOVER_AT": str(failover_at),
                "BENCH_GUEST_HOSTS": ",".join(guest_hosts),
                "BENCH_DASHBOARD_USERS": str(DASHBOARD_USERS),
                "BENCH_GUESTS": str(GUESTS),
                "BENCH_RESULTS": str(results),
            },
            stdout=open(WORK / "locust.log", "w"),  # noqa: SIM115 - closed when the bench ends
            stderr=subprocess.STDOUT,
        )
        time.sleep(max(0.0, failover_at - time.time()))
        stack.kill("portal-1")
        stack.kill("worker-1")
        print(f"killed portal-1 and worker-1 at {failover_at - started:.0f} s", file=sys.stderr, flush=True)
        locust.wait(timeout=SECONDS + 120)
        totals = json.loads(results.read_text())
        counted = drain(env, stack.sandbox_dir / "open311.sqlite3")

        after = totals["requests_after_failover"]
        share = 100 * totals["failures_after_failover"] / after if after else 0.0
        dashboard = sorted(totals["dashboard_ms"])
        p95 = statistics.quantiles(dashboard, n=20)[18] if len(dashboard) >= 20 else float("nan")
        say("requests", totals["requests"])
        say("failed requests", totals["failures"])
        say("failed after failover", f"{totals['failures_after_failover']} ({share:.2f}% of {after})")
        say("reports made", counted["made"])
        say("reports delivered", counted["delivered"])
        say("reports lost", counted["lost"])
        say("reports delivered twice", counted["twice"])
        say("dashboard p95 (ms)", f"{p95:.0f}")
        if totals["failure_kinds"]:
            print(f"failures by kind: {json.dumps(totals['failure_kinds'])}", file=sys.stderr)
        print(
            f"guests who saw their confirmation: {totals['confirmations']}; logs in {WORK}", file=sys.stderr
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

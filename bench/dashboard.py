"""Dashboard benchmarks (`make bench`): ratios measured in one run, each printed on a line of its own.

(a) fan-out: five back offices answering in 200 ms each; the full dashboard's time over the slowest back
    office's latency (goal <= 1.2).
(b) hung back office: the page still completes within its budget, the planning tile stale or unavailable;
    once the circuit breaker is open, page time over healthy page time (healthy pages measured before and
    after; goal <= 1.2).
(c) load: a warm dashboard under gunicorn with wrk, requests per second as a ratio of a bare hello route
    under the same gunicorn configuration (goal >= 0.2 now, 0.3 next), and its p95 latency. The portal runs
    as deployed with Redis, so the same session's dashboard is the page each worker kept
    (app/dashboard/page_cache.py) while nothing on it changes. Every server gets the same discarded warm-up
    run first. For scale, the same ratio for the portal's health check (its request hooks alone), its
    anonymous start page and the dashboard rendered for every request (no page kept).
(d) page weight: the dashboard's HTML, CSS and JavaScript, gzip-compressed (goal <= 60 KB).
(e) signed-in costs, in-process: the start page signed in over the start page anonymous (goal <= 1.5), and a
    warm dashboard (every tile fresh in the cache, rendered: no kept page) over the signed-in start page
    (goal <= 3); with Redis, the kept dashboard's time too. The three pages
    are requested in turn, many times, so that other work on the machine weighs on all three alike; medians.

Everything runs on loopback; every loop is bounded in count and in time. The sandbox's five back offices run
as five processes (SandboxFleet), so the figures measure the portal, not one sandbox process serving all.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path(tempfile.mkdtemp(prefix="portal-bench-"))
DATABASE_URL = f"sqlite:///{WORK / 'portal.sqlite3'}"
# The production path caches in Redis: use it when it answers, in a database of the bench's own so that
# nothing else's cache keys or breakers are touched.
REDIS_URL = os.environ.get("PORTAL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - no Redis: the bench uses SQLite
        return False


USE_REDIS = _redis_answers(REDIS_URL)
# The portal reads PORTAL_* when its config module is imported: set them first.
os.environ.update(
    PORTAL_ENV="development",
    PORTAL_DATABASE_URL=DATABASE_URL,
    PORTAL_INSTANCE_DIR=str(WORK / "instance"),
    **({"PORTAL_REDIS_URL": REDIS_URL} if USE_REDIS else {}),
)

import requests  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import address_lookup, create_app, gazetteer_import  # noqa: E402
from app.backoffice import use_registry  # noqa: E402
from app.dashboard import page_cache  # noqa: E402
from app.dashboard.tiles import TILE_NAMES  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models.identity import LinkedCouncilAccount, Resident  # noqa: E402
from bench.support import free_port, say, wait_for  # noqa: E402
from connectors.breaker import InProcessBreakerStore  # noqa: E402
from connectors.http import make_cache  # noqa: E402
from connectors.models import ServiceKind  # noqa: E402
from connectors.registry import ConnectorRegistry, Deployment  # noqa: E402
from sandbox import faults  # noqa: E402
from sandbox.demo_residents import DEMO_RESIDENTS  # noqa: E402
from tests.support.sandbox import API_KEY  # noqa: E402

HOST = "south-norfolk.localhost"
PRIYA = DEMO_RESIDENTS[0]
GAZETTEER = ROOT / "sandbox" / "data" / "gazetteer.csv"
BACK_OFFICE_DELAY = 0.2
HUNG_FOR = 20.0  # far beyond every connector timeout: a back office that does not answer
# Pages (or calls) per median: 7 left the breaker-open ratio, a ratio of two ~70 ms medians, swinging by 0.3
# between runs on a shared machine.
SAMPLES = 15
LOAD_SECONDS = 5
WARM_SECONDS = 5
# Pages of each kind for (e): each takes a few milliseconds, and a ratio of medians this small needs many.
PAGE_COST_SAMPLES = 300
GUNICORN_BIN = str(ROOT / ".venv" / "bin" / "gunicorn")
# --no-control-socket: otherwise every gunicorn master claims the same ~/.gunicorn/gunicorn.ctl (the bench
# starts seven at once); the bench never uses it.
GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning", "--no-control-socket"]
# Each sandbox back office: one process (its faults are that process's state), a thread per call, HTTP/1.1
# keep-alive as a council's real server would offer (werkzeug's development server closes every connection),
# and no wait for a hung call when the bench stops it.
SANDBOX_GUNICORN = ["-w", "1", "-k", "gthread", "--threads", "32", "--graceful-timeout", "1"]
SANDBOX_GUNICORN += ["--log-level", "warning", "--no-control-socket"]


def timings(action, samples: int = SAMPLES) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def median_time(action, samples: int = SAMPLES) -> float:
    return statistics.median(timings(action, samples))


def fresh_registry(sandbox: SandboxFleet, name: str, *, ttl: float | None = 0):
    """A registry with its own cache and breakers; ``ttl`` 0 makes every page ask the back offices."""
    connectors = sandbox.registry(WORK / f"cache-{name}", redis_url=REDIS_URL if USE_REDIS else None)
    if ttl is not None:
        connectors.deployment.defaults["ttl"] = ttl
    return connectors


# The sandbox's origin as connectors/sandbox.toml writes it.
SANDBOX_FILE_ORIGIN = "http://${PORTAL_SANDBOX_HOST:-127.0.0.1}:${PORTAL_SANDBOX_PORT:-5001}"
# Which sandbox process serves each back office: the path prefix of its base URLs in connectors/sandbox.toml,
# and the service name its faults are set under.
BACK_OFFICES = {
    "bins": "/bins",
    "council_tax": "/council-tax",
    "planning": "/planning",
    "open311": "/open311",
    "cases": "/cases",
    "waste": "/waste",
    "pay": "/pay",
    "notify": "/notify",
}


class SandboxFleet:
    """The sandbox's five back offices (bins, council tax, planning, Open311, cases), each in a process of its
    own as five systems would be: none shares this process's interpreter lock or another back office's. (One
    sandbox process answering all 13 calls of a page at once queues them behind its one interpreter lock,
    which adds the sandbox's own work, not the portal's, to the fan-out figure.)"""

    def __init__(self, processes: dict[str, tuple[int, subprocess.Popen]]):
        self.processes = processes
        self.api_key = API_KEY

    @classmethod
    def start(cls, instance_dir: Path) -> SandboxFleet:
        processes = {}
        for service in BACK_OFFICES:
            port = free_port()
            factory = f"create_sandbox_app({str(instance_dir / service)!r}, SANDBOX_API_KEY={API_KEY!r})"
            processes[service] = (
                port,
                subprocess.Popen(
                    [GUNICORN_BIN, *SANDBOX_GUNICORN, "-b", f"127.0.0.1:{port}", f"sandbox:{factory}"],
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                ),
            )
        fleet = cls(processes)
        try:
            for port, _ in processes.values():
                wait_for(port)
        except BaseException:
            fleet.stop()
            raise
        return fleet

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.processes[service][0]}"

    def deployment_text(self) -> str:
        """connectors/sandbox.toml with each back office's base URLs pointed at its own process."""
        text = (ROOT / "connectors" / "sandbox.toml").read_text()
        for service, prefix in BACK_OFFICES.items():
            # A prefix ends at "/" or at the URL's end (the Pay sandbox's base URL is "/pay" itself).
            pattern = re.escape(f'"{SANDBOX_FILE_ORIGIN}{prefix}') + r'(?=[/"])'
            text = re.sub(
                pattern, lambda _, service=service, prefix=prefix: f'"{self.url(service)}{prefix}', text
            )
        if f'"{SANDBOX_FILE_ORIGIN}' in text:
            raise SystemExit("connectors/sandbox.toml names a sandbox back office the bench does not start")
        return text

    def registry(self, cache_dir: Path, *, redis_url: str | None = None) -> ConnectorRegistry:
        return ConnectorRegistry(
            Deployment.from_mapping(tomllib.loads(self.deployment_text()), source="bench"),
            cache=make_cache(cache_dir, redis_url),
            breakers=InProcessBreakerStore(),
            environ={"PORTAL_SANDBOX_API_KEY": self.api_key},
        )

    def inject(self, service: str, mode: str, delay: float = 0.0) -> None:
        faults.inject(self.url(service), service, mode, delay)

    def clear_faults(self) -> None:
        for service in self.processes:
            faults.clear(self.url(service))

    def stop(self) -> None:
        for _, process in self.processes.values():
            process.terminate()
        for _, process in self.processes.values():
            process.wait(timeout=30)


class Portal:
    def __init__(self):
        self.app = create_app("development")
        with self.app.app_context():
            upgrade()
            gazetteer_import.import_file(GAZETTEER)
            resident = Resident(
                issuer="https://bench.invalid",
                subject=PRIYA.subject,
                name=PRIYA.name,
                email=PRIYA.email,
                home_uprn=PRIYA.uprn,
            )
            resident.linked_accounts.append(
                LinkedCouncilAccount(
                    service="council-tax",
                    council_gss=PRIYA.district_gss,
                    account_reference=PRIYA.council_tax_reference,
                )
            )
            db.session.add(resident)
            db.session.commit()
            resident_id = resident.id
        self.client = self.app.test_client()
        with self.client.session_transaction(base_url=f"http://{HOST}/") as session:
            session["_user_id"] = str(resident_id)
        self.cookie = self.client.get_cookie(self.app.config["SESSION_COOKIE_NAME"], domain=HOST).value

    def get(self, path: str = "/dashboard", **headers):
        response = self.client.get(path, headers={"Host": HOST, **headers})
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.location}")
        return response.get_data(as_text=True)


def tile_state(html: str, name: str) -> str:
    section = html.split(f'id="tile-{name}"', 1)[1]
    return re.search(r'data-tile-state="([a-z_]+)"', section).group(1)


@contextlib.contextmanager
def request_log_discarded():
    """Each request's log line is still made (it is part of every page's cost) but not printed among the
    figures."""
    handlers = [
        handler for handler in logging.getLogger().handlers if isinstance(handler, logging.StreamHandler)
    ]
    with open(os.devnull, "w") as devnull:
        streams = [handler.setStream(devnull) for handler in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, streams, strict=True):
                handler.setStream(stream)


def signed_in_costs(portal: Portal, sandbox: SandboxFleet) -> None:
    use_registry(portal.app, fresh_registry(sandbox, "signed-in-costs", ttl=None))
    anonymous = portal.app.test_client()

    def anonymous_start() -> None:
        response = anonymous.get("/", headers={"Host": HOST})
        if response.status_code != 200 or "Sign in to your account" not in response.get_data(as_text=True):
            raise SystemExit(f"the anonymous start page answered {response.status_code}")

    def signed_in_start() -> None:
        if "Go to your account" not in portal.get("/"):
            raise SystemExit("the start page was not signed in")

    html = portal.get()
    states = {name: tile_state(html, name) for name in TILE_NAMES}
    if set(states.values()) - {"loaded", "not_applicable"}:
        raise SystemExit(f"signed-in costs: every tile should be fresh, got {states}")
    kept_pages = portal.app.extensions.get(page_cache.EXTENSION_KEY)

    def rendered_dashboard() -> None:
        # The render's cost: the kept page (app/dashboard/page_cache.py) set aside for this request.
        portal.app.extensions.pop(page_cache.EXTENSION_KEY, None)
        try:
            portal.get()
        finally:
            if kept_pages is not None:
                portal.app.extensions[page_cache.EXTENSION_KEY] = kept_pages

    pages = {"anonymous": anonymous_start, "signed in": signed_in_start, "dashboard": rendered_dashboard}
    if kept_pages is not None:
        pages["kept dashboard"] = portal.get
    for page in pages.values():  # templates compiled, connections open, the dashboard kept
        timings(page, 5)
    times: dict[str, list[float]] = {name: [] for name in pages}
    with request_log_discarded():
        for _ in range(PAGE_COST_SAMPLES):
            for name, page in pages.items():
                times[name] += timings(page, 1)
    medians = {name: statistics.median(values) for name, values in times.items()}
    if set(tile_state(portal.get(), name) for name in TILE_NAMES) - {"loaded", "not_applicable"}:
        raise SystemExit("signed-in costs: a tile went stale while the pages were timed")
    say("anonymous start page time (ms)", f"{medians['anonymous'] * 1000:.2f}")
    say("signed-in start page time (ms)", f"{medians['signed in'] * 1000:.2f}")
    say("warm dashboard time (ms)", f"{medians['dashboard'] * 1000:.2f}")
    say("signed-in page cost (x anonymous)", f"{medians['signed in'] / medians['anonymous']:.2f}")
    say("dashboard cost (x signed-in start page)", f"{medians['dashboard'] / medians['signed in']:.2f}")
    if "kept dashboard" in medians:
        say("kept dashboard time (ms)", f"{medians['kept dashboard'] * 1000:.2f}")


def fan_out(portal: Portal, sandbox: SandboxFleet) -> None:
    connectors = fresh_registry(sandbox, "fan-out")
    use_registry(portal.app, connectors)
    portal.get()  # builds connectors and opens connections
    for service in ("bins", "council_tax", "planning", "open311", "cases"):
        sandbox.inject(service, "slow", BACK_OFFICE_DELAY)
    try:
        with portal.app.app_context():
            home = address_lookup.address_for_uprn(PRIYA.uprn)
        district = "south-norfolk"
        calls = {
            "bins": lambda: connectors.bins(district).collections(PRIYA.uprn),
            "council tax": lambda: connectors.council_tax(district).account(PRIYA.council_tax_reference),
            "planning": lambda: connectors.planning(district).applications_near(
                home.latitude, home.longitude
            ),
            "street reports": lambda: connectors.street_reports("norfolk").requests_near(
                home.latitude, home.longitude, 400
            ),
            "cases": lambda: connectors.cases("norfolk").cases_for_email(PRIYA.email),
        }
        slowest = max(median_time(call) for call in calls.values())
        page = median_time(portal.get)
        html = portal.get()
    finally:
        sandbox.clear_faults()
    states = {
        name: tile_state(html, name)
        for name in ("bins", "council_tax", "planning", "street_reports", "cases")
    }
    if set(states.values()) != {"loaded"}:
        raise SystemExit(f"fan-out: every tile should be loaded, got {states}")
    say("slowest back-office latency (s)", f"{slowest:.3f}")
    say("fan-out dashboard time (s)", f"{page:.3f}")
    say("fan-out ratio", f"{page / slowest:.2f}")


def hung_back_office(portal: Portal, sandbox: SandboxFleet) -> None:
    connectors = fresh_registry(sandbox, "hung")
    use_registry(portal.app, connectors)
    budget = portal.app.config["DASHBOARD_BUDGET_SECONDS"]
    portal.get()
    healthy = timings(portal.get)
    sandbox.inject("planning", "slow", HUNG_FOR)
    try:
        started = time.perf_counter()
        html = portal.get()
        first = time.perf_counter() - started
        say("hung back office: page time (s)", f"{first:.3f}")
        say("hung back office: page budget (s)", f"{budget:.3f}")
        say("hung back office: planning tile on the page", tile_state(html, "planning"))
        say("hung back office: other tiles", tile_state(html, "bins"))
        fragment = portal.get("/dashboard/tiles/planning", **{"HX-Request": "true"})
        say(
            "hung back office: planning tile fragment",
            tile_state(f'id="tile-planning"{fragment}', "planning"),
        )
        breaker = f"south-norfolk:{ServiceKind.PLANNING.value}"
        deadline = time.monotonic() + 30
        while connectors.breakers.opened_until(breaker) is None and time.monotonic() < deadline:
            portal.get("/dashboard/tiles/planning", **{"HX-Request": "true"})
        if connectors.breakers.opened_until(breaker) is None:
            raise SystemExit("hung back office: the circuit breaker never opened")
        with_breaker_open = median_time(portal.get)
        html = portal.get()
    finally:
        sandbox.clear_faults()
    # Healthy pages again after the breaker-open ones (on a registry of their own: this one's planning
    # breaker stays open for its reset time), so that other work on the machine during either stretch weighs
    # on both sides of the ratio.
    use_registry(portal.app, fresh_registry(sandbox, "healthy-again"))
    portal.get()
    healthy = statistics.median(healthy + timings(portal.get))
    say("breaker open: planning tile", tile_state(html, "planning"))
    say("breaker open: dashboard time (s)", f"{with_breaker_open:.3f}")
    say("healthy (before and after): dashboard time (s)", f"{healthy:.3f}")
    say("breaker-open ratio", f"{with_breaker_open / healthy:.2f}")


def gunicorn(app: str, port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        [GUNICORN_BIN, *GUNICORN, "-b", f"127.0.0.1:{port}", app],
        cwd=ROOT,
        env=env,
    )
    wait_for(port)
    return process


def wrk(url: str, headers: dict[str, str], seconds: int = LOAD_SECONDS) -> dict[str, float]:
    arguments = [
        "wrk",
        "-t2",
        "-c8",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(ROOT / "bench" / "p95.lua"),
    ]
    for name, value in headers.items():
        arguments += ["-H", f"{name}: {value}"]
    output = subprocess.run([*arguments, url], capture_output=True, text=True, timeout=seconds + 30).stdout
    figures = dict(re.findall(r"^([a-z0-9-]+): (\d+)$", output, re.MULTILINE))
    requests, seconds = int(figures["requests"]), int(figures["duration-us"]) / 1e6
    return {
        "rps": requests / seconds,
        "p95_ms": int(figures["p95-us"]) / 1000,
        "failures": int(figures["non-2xx"]) + int(figures["socket-errors"]),
    }


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, timeout=300, capture_output=True)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed and apt-get could not install it")


def load(portal: Portal, sandbox: SandboxFleet) -> None:
    ensure_wrk()
    (WORK / "connectors.toml").write_text(sandbox.deployment_text())
    env = {
        **os.environ,
        "PORTAL_CONNECTORS_FILE": str(WORK / "connectors.toml"),
        "PORTAL_SANDBOX_API_KEY": sandbox.api_key,
        "PYTHONPATH": str(ROOT),
    }
    portal_port, rendering_port, hello_port = free_port(), free_port(), free_port()
    processes = [
        gunicorn("wsgi:app", portal_port, env),
        # The same portal with no page kept (app/dashboard/page_cache.py): every dashboard rendered.
        gunicorn("wsgi:app", rendering_port, {**env, "PORTAL_DASHBOARD_PAGE_SECONDS": "0"}),
        gunicorn("bench.hello:app", hello_port, env),
    ]
    try:
        headers = {"Host": HOST, "Cookie": f"{portal.app.config['SESSION_COOKIE_NAME']}={portal.cookie}"}
        warm = f"http://127.0.0.1:{portal_port}/dashboard"
        rendered = f"http://127.0.0.1:{rendering_port}/dashboard"
        for url in (warm, rendered):
            answer = requests.get(url, headers=headers, timeout=60, allow_redirects=False)
            if answer.status_code != 200:
                raise SystemExit(f"the portal under gunicorn answered {answer.status_code} {answer.headers}")
        hello_url = f"http://127.0.0.1:{hello_port}/"
        # A discarded run under the same load first, for every server alike: every worker has loaded its app
        # and, for the portal, built its connectors and kept its dashboard (otherwise the measured run
        # includes a worker's start-up in its p95).
        wrk(warm, headers, WARM_SECONDS)
        wrk(rendered, headers, WARM_SECONDS)
        wrk(hello_url, {}, WARM_SECONDS)
        dashboard = wrk(warm, headers)
        hello = wrk(hello_url, {})
        # Where the ratio's floor lies: the portal's cheapest route (its request hooks and nothing else) and
        # its anonymous start page (the layout rendered, no session), under the same load; and the dashboard
        # rendered for every request.
        floors = {
            "health check": wrk(f"http://127.0.0.1:{portal_port}/healthz", {"Host": HOST}),
            "anonymous start page": wrk(f"http://127.0.0.1:{portal_port}/", {"Host": HOST}),
            "dashboard rendered every time": wrk(rendered, headers),
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    say("dashboard requests per second", f"{dashboard['rps']:.1f}")
    say("hello requests per second", f"{hello['rps']:.1f}")
    say("dashboard failed requests", str(dashboard["failures"]))
    say("load ratio (dashboard / hello)", f"{dashboard['rps'] / hello['rps']:.2f}")
    say("dashboard p95 latency (ms)", f"{dashboard['p95_ms']:.1f}")
    for name, run in floors.items():
        say(f"{name} load ratio (x hello)", f"{run['rps'] / hello['rps']:.2f} ({run['rps']:.1f} per second)")


def page_weight(portal: Portal, sandbox: SandboxFleet) -> None:
    use_registry(portal.app, fresh_registry(sandbox, "weight", ttl=None))
    html = portal.get()
    assets = re.findall(r'<(?:link rel="stylesheet" href|script[^>]*src)="(/static/[^"?]+)', html)
    files = [ROOT / path.lstrip("/") for path in assets]
    for module in [file for file in files if file.suffix == ".mjs"]:
        files += [module.parent / name for name in re.findall(r"from '\./([^']+)'", module.read_text())]
    sizes = {"html": len(gzip.compress(html.encode()))}
    for file in files:
        sizes[file.name] = len(gzip.compress(file.read_bytes()))
    say("page weight files", ", ".join(f"{name} {size / 1024:.1f} KB" for name, size in sizes.items()))
    say("page weight (gzip, KB)", f"{sum(sizes.values()) / 1024:.1f}")


def main() -> None:
    sandbox = SandboxFleet.start(WORK / "sandbox")
    say("connector cache", "redis" if USE_REDIS else "sqlite")
    try:
        portal = Portal()
        fan_out(portal, sandbox)
        hung_back_office(portal, sandbox)
        page_weight(portal, sandbox)
        # After (a) and (b): the answers this caches for hours would otherwise be what their TTL-0 pages read.
        signed_in_costs(portal, sandbox)
        load(portal, sandbox)
    finally:
        sandbox.clear_faults()
        sandbox.stop()
        if USE_REDIS:
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()

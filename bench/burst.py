"""Burst benchmark (`make bench`): 50 guests released together through the report journey, as after a storm.

Measured in one run against the two servers the portal runs under:

- the development server (`flask run`, threaded, as `make run` starts it) on SQLite, the default set-up;
- gunicorn (`-w 2 -k gthread --threads 4`, gunicorn.conf.py) on PostgreSQL.

Each guest has a browser session of its own and a client address of its own (X-Forwarded-For behind one
trusted proxy, as residents reach a council's load balancer), walks the pothole journey as a browser without
JavaScript does (report type, place, the council's questions from its Open311 service definition, details,
photo, email, check, send) and reads its reference from the confirmation page. The guests wait at a
threading.Barrier and are released at the same moment.

Each run prints, per server, `burst: reports made`, `burst: failed` and `burst: p95 (s)` (a journey's time
from its release to its confirmation page), then waits for the delivery worker (`flask worker`, running
throughout as under `make run`) and counts, at the sandbox's Open311 back office, how many of the references
arrived exactly once. Goal: 0 failed, every report delivered once.

The sandbox runs in a process of its own under gunicorn; every loop is bounded in count and in time.
"""

from __future__ import annotations

import collections
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import free_port, say, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
GUESTS = 50
HOST = "great-yarmouth.localhost"
# A request that has not answered by then counts as failed: the resident has given up.
REQUEST_TIMEOUT = 30
# Longest wait for a server to load the app.
STARTUP_SECONDS = 180
# Longest wait for the worker to deliver every report.
DELIVERY_SECONDS = 180
API_KEY = "bench-sandbox-key"
POSTGRESQL_URL = os.environ.get(
    "PORTAL_BENCH_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# gunicorn.conf.py: threaded workers whose database pools hold one connection per thread.
GUNICORN = ["-c", str(ROOT / "gunicorn.conf.py"), "-w", "2", "--threads", "4", "--log-level", "warning"]
SANDBOX_GUNICORN = ["-w", "1", "-k", "gthread", "--threads", "32", "--graceful-timeout", "1"]
SANDBOX_GUNICORN += ["--log-level", "warning", "--no-control-socket"]
MAX_STEPS = 20


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class JourneyFailed(Exception):
    pass


@dataclass
class Outcome:
    reference: str | None = None
    seconds: float = 0.0
    failure: str | None = None


class Guest:
    """One person's browser, without JavaScript, walking the pothole journey."""

    def __init__(self, base_url: str, number: int):
        self.base_url = base_url
        self.number = number
        self.http = requests.Session()
        # A client address of each guest's own, as a load balancer in front of the portal would pass it.
        self.http.headers.update({"Host": HOST, "X-Forwarded-For": f"192.0.2.{number + 1}"})

    def _get(self, path: str) -> BeautifulSoup:
        response = self.http.get(self.base_url + path, timeout=REQUEST_TIMEOUT, allow_redirects=False)
        if response.status_code != 200:
            raise JourneyFailed(f"GET {_step(path)} answered {response.status_code}")
        return BeautifulSoup(response.text, "html.parser")

    def _post(self, path: str, page: BeautifulSoup, data: dict) -> str:
        form = page.select_one("main form[method=post]")
        if form is None:
            raise JourneyFailed(f"no form on {_step(path)}")
        fields = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
        fields.update(data)
        response = self.http.post(
            self.base_url + form["action"], data=fields, timeout=REQUEST_TIMEOUT, allow_redirects=False
        )
        if response.status_code != 302:
            raise JourneyFailed(f"POST {_step(path)} answered {response.status_code}")
        return response.headers["Location"].removeprefix(f"http://{HOST}")

    def walk(self) -> str:
        path = self._post("/report", self._get("/report"), {"report_type": "pothole"})
        token = re.match(r"^/report/([^/]+)/", path).group(1)
        place = f"/report/{token}/place"
        where = {"description": f"Outside number {self.number}, Storm Road"}
        path = self._post(place, self._get(place), where)
        for _ in range(MAX_STEPS):
            page = self._get(path)
            step = _step(path)
            if step == "confirmation":
                panel = page.select_one(".govuk-panel strong")
                if panel is None:
                    raise JourneyFailed("the confirmation page has no reference")
                return panel.get_text(strip=True)
            path = self._post(path, page, _answer(step, page, self.number))
        raise JourneyFailed(f"still at {_step(path)} after {MAX_STEPS} pages")


def _step(path: str) -> str:
    parts = path.split("?")[0].strip("/").split("/")
    if parts[-2:-1] == ["question"]:
        return "question"
    return parts[-1]


def _answer(step: str, page: BeautifulSoup, number: int) -> dict:
    if step == "question":
        choice = page.select_one("main input[name=answer]:is([type=radio], [type=checkbox])")
        if choice is not None:
            return {"answer": choice["value"]}
        option = page.select_one("main select[name=answer] option[value]:not([value=''])")
        return {"answer": option["value"] if option is not None else "1"}
    answers = {
        "already-reported": {"choice": "none"},
        "details": {"description": "A deep pothole after the storm; cars swerve round it"},
        "photo": {},
        "email": {"email": f"guest{number}@example.com"},
        "check": {},
    }
    if step not in answers:
        raise JourneyFailed(f"unexpected page {step}")
    return answers[step]


def ready(base_url: str) -> None:
    """Wait until the server's threads answer: gunicorn's workers load the app after the port is open, which
    takes seconds (tens of them on a busy machine)."""
    http = requests.Session()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda _: http.get(f"{base_url}/report", headers={"Host": HOST}, timeout=STARTUP_SECONDS),
                range(8),
            )
        )
    if any(answer.status_code != 200 for answer in answers):
        raise SystemExit(f"the portal answered {[answer.status_code for answer in answers]}")


def burst(base_url: str) -> list[Outcome]:
    guests = [Guest(base_url, number) for number in range(GUESTS)]
    outcomes = [Outcome() for _ in guests]
    barrier = threading.Barrier(GUESTS)

    def run(index: int) -> None:
        barrier.wait(timeout=60)
        started = time.perf_counter()
        try:
            outcomes[index].reference = guests[index].walk()
        except JourneyFailed as failure:
            outcomes[index].failure = str(failure)
        except requests.RequestException as failure:
            outcomes[index].failure = f"no answer ({type(failure).__name__})"
        outcomes[index].seconds = time.perf_counter() - started

    threads = [threading.Thread(target=run, args=(index,)) for index in range(GUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * (MAX_STEPS + 2))
    return outcomes


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] if ordered else float("nan")


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen
    references_seen: collections.Counter = field(default_factory=collections.Counter)

    @classmethod
    def start(cls, instance_dir: Path) -> Sandbox:
        port = free_port()
        factory = f"create_sandbox_app({str(instance_dir)!r}, SANDBOX_API_KEY={API_KEY!r})"
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), *SANDBOX_GUNICORN, "-b", f"127.0.0.1:{port}", f"sandbox:{factory}"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        wait_for(port, process, seconds=60)
        return cls(f"http://127.0.0.1:{port}", process)

    def deliveries(self, references: set[str]) -> collections.Counter:
        """How many service requests at the county's Open311 carry each of these portal references."""
        answer = requests.get(
            f"{self.url}/open311/v2/requests.json",
            params={"jurisdiction_id": "norfolk.gov.uk", "service_code": "pothole"},
            timeout=30,
        )
        answer.raise_for_status()
        counts = collections.Counter()
        for item in answer.json():
            found = re.search(r"My Norfolk reference: (\S+)", item.get("description") or "")
            if found and found.group(1) in references:
                counts[found.group(1)] += 1
        return counts


def portal_environment(work: Path, database_url: str, sandbox: Sandbox) -> dict:
    # None of the caller's PORTAL_* settings: a Redis URL would take the sessions out of the database.
    return {name: value for name, value in os.environ.items() if not name.startswith("PORTAL_")} | {
        "PORTAL_ENV": "development",
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_INSTANCE_DIR": str(work / "instance"),
        # connectors/sandbox.toml names the sandbox's port by this variable.
        "PORTAL_SANDBOX_PORT": sandbox.url.rsplit(":", 1)[1],
        "PORTAL_SANDBOX_API_KEY": API_KEY,
        "PORTAL_PROXY_HOPS": "1",
        "PYTHONPATH": str(ROOT),
    }


def flask(environment: dict, *arguments: str, **options) -> subprocess.Popen:
    command = [str(BIN / "flask"), "--app", "wsgi", *arguments]
    return subprocess.Popen(command, cwd=ROOT, env=environment, **options)


def measure(server: str, command: list[str], environment: dict, sandbox: Sandbox, work: Path) -> None:
    label = f"burst ({server})"
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = (work / f"{server.replace(' ', '-')}.log").open("w")
    portal = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in command],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = flask(environment, "worker", "--interval", "0.5", stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(port, portal, seconds=60)
        base_url = f"http://127.0.0.1:{port}"
        ready(base_url)
        # One journey first, so that the server has loaded the app and the worker is running; the second one,
        # alone, is what each of the burst's journeys would take without the others.
        Guest(base_url, GUESTS).walk()
        started = time.perf_counter()
        Guest(base_url, GUESTS + 1).walk()
        alone = time.perf_counter() - started
        outcomes = burst(base_url)
        made = [outcome for outcome in outcomes if outcome.reference]
        failed = [outcome for outcome in outcomes if not outcome.reference]
        say(f"{label}: burst: reports made", str(len(made)))
        say(f"{label}: burst: failed", str(len(failed)))
        slowest = p95([outcome.seconds for outcome in outcomes])
        say(f"{label}: burst: p95 (s)", f"{slowest:.2f}")
        say(f"{label}: one journey alone (s)", f"{alone:.2f}")
        say(f"{label}: p95 over one journey alone", f"{slowest / alone:.1f}")
        if failed:
            reasons = collections.Counter(outcome.failure for outcome in failed)
            summary = "; ".join(f"{reason} x{count}" for reason, count in reasons.most_common())
            say(f"{label}: failures", summary)
        references = {outcome.reference for outcome in made}
        deadline = time.monotonic() + DELIVERY_SECONDS
        counts = sandbox.deliveries(references)
        while len(counts) < len(references) and time.monotonic() < deadline:
            time.sleep(1)
            counts = sandbox.deliveries(references)
        once = sum(1 for reference in references if counts[reference] == 1)
        more = sum(1 for reference in references if counts[reference] > 1)
        say(f"{label}: delivered once by the worker", f"{once} of {len(references)}")
        if more:
            say(f"{label}: delivered more than once", str(more))
    finally:
        stop([portal, worker])
        log.close()
    logged = (work / f"{server.replace(' ', '-')}.log").read_text().splitlines()
    waits = sum("no database connection within the wait" in line for line in logged)
    say(f"{label}: requests that waited too long for the database (busy page)", str(waits))


def postgresql_database() -> tuple[str, str]:
    """A database of the bench's own on the local PostgreSQL, dropped afterwards."""
    name = f"portal_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(POSTGRESQL_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRESQL_URL).set(database=name).render_as_string(hide_password=False), name


def drop_postgresql_database(name: str) -> None:
    admin = create_engine(POSTGRESQL_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="portal-burst-"))
    sandbox = Sandbox.start(work / "sandbox")
    try:
        (work / "dev").mkdir()
        sqlite_url = f"sqlite:///{work / 'dev' / 'portal.sqlite3'}"
        development = portal_environment(work / "dev", sqlite_url, sandbox)
        measure(
            "development server",
            [str(BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", "{port}"],
            development,
            sandbox,
            work,
        )
        database_url, database = postgresql_database()
        try:
            measure(
                "gunicorn, PostgreSQL",
                [str(BIN / "gunicorn"), *GUNICORN, "-b", "127.0.0.1:{port}", "wsgi:app"],
                portal_environment(work / "gunicorn", database_url, sandbox),
                sandbox,
                work,
            )
        finally:
            drop_postgresql_database(database)
    finally:
        stop([sandbox.process])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

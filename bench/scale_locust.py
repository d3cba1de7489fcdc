"""The load of `make bench-scale` (bench/scale.py starts locust with this file): signed-in residents opening
their dashboards, and guests reporting a street light through the whole journey, as browsers without
JavaScript do. Each request is counted as before or after the failover moment (BENCH_FAILOVER_AT, epoch
seconds); the totals go to BENCH_RESULTS as JSON when locust stops.

Settings from the environment: BENCH_SESSIONS (a JSON file of [host, session cookie] per signed-in resident),
BENCH_DASHBOARD_USERS, BENCH_GUESTS, BENCH_GUEST_HOSTS (comma-separated council domains).
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
import uuid
from urllib.parse import urljoin

import urllib3
from locust import HttpUser, between, events, task

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

SESSIONS = json.loads(open(os.environ["BENCH_SESSIONS"]).read())  # noqa: SIM115 - read once at import
FAILOVER_AT = float(os.environ["BENCH_FAILOVER_AT"])
GUEST_HOSTS = os.environ["BENCH_GUEST_HOSTS"].split(",")
HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
# The first form that carries a CSRF token: where it posts, and its hidden fields.
FORM = re.compile(r"<form[^>]*>.*?</form>", re.S)
ACTION = re.compile(r'action="([^"]*)"')
INPUT = re.compile(r"<input[^>]*>")
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')


def form_on(page: str) -> tuple[str, dict[str, str]] | None:
    for form in FORM.finditer(page):
        hidden = {}
        for field in INPUT.finditer(form.group(0)):
            attributes = dict(ATTRIBUTE.findall(field.group(0)))
            if attributes.get("type") == "hidden" and "name" in attributes:
                hidden[attributes["name"]] = html.unescape(attributes.get("value", ""))
        if "csrf_token" in hidden:
            action = ACTION.search(form.group(0)[: form.group(0).index(">")])
            return (html.unescape(action.group(1)) if action else ""), hidden
    return None


_sessions = itertools.cycle(SESSIONS)
_hosts = itertools.cycle(GUEST_HOSTS)

totals = {
    "requests": 0,
    "failures": 0,
    "requests_after_failover": 0,
    "failures_after_failover": 0,
    "dashboard_ms": [],
    "confirmations": 0,
    "failure_kinds": {},
}


@events.request.add_listener
def _count(request_type, name, response_time, response_length, exception, **_):
    after = time.time() >= FAILOVER_AT
    totals["requests"] += 1
    totals["requests_after_failover"] += after
    if exception is not None:
        totals["failures"] += 1
        totals["failures_after_failover"] += after
        kind = f"{name}: {str(exception)[:80]}"
        totals["failure_kinds"][kind] = totals["failure_kinds"].get(kind, 0) + 1
    elif name == "dashboard":
        totals["dashboard_ms"].append(response_time)


@events.quitting.add_listener
def _write(environment, **_):
    with open(os.environ["BENCH_RESULTS"], "w") as results:
        json.dump(totals, results)


class SignedInResident(HttpUser):
    """Opens the dashboard, reads it for half a minute or so, opens it again."""

    fixed_count = int(os.environ["BENCH_DASHBOARD_USERS"])
    wait_time = between(20, 40)

    def on_start(self):
        host, cookie_name, cookie = next(_sessions)
        self.client.verify = False  # the bench proxy's self-signed certificate
        self.client.headers["Host"] = host
        self.client.cookies.set(cookie_name, cookie)
        # Residents arrive over time, not all in the same second: the first visit falls anywhere in one
        # reading interval.
        time.sleep(random.uniform(0, 30))

    @task
    def dashboard(self):
        with self.client.get(
            "/dashboard", name="dashboard", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")


class GuestReporter(HttpUser):
    """Reports a street light page by page, a second or three on each (reading, typing), then another."""

    fixed_count = int(os.environ["BENCH_GUESTS"])
    wait_time = between(1, 2)

    def on_start(self):
        self.client.verify = False  # the bench proxy's self-signed certificate
        self.client.headers["Host"] = next(_hosts)

    def _page(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
                return None
            return answer.text

    def _send(self, path: str, name: str, data: dict) -> str | None:
        """Post the form on ``path`` (read first, for its CSRF token); the page it moves to, or None."""
        form = form_on(self._page(path, name) or "")
        if form is None:
            return None
        action, hidden = form
        action = urljoin(path, action or path)
        time.sleep(random.uniform(1, 3))  # reading the page, filling it in
        # As a browser does: flask-wtf checks an HTTPS form's Referer is the same site.
        referer = {"Referer": f"https://{self.client.headers['Host']}{path}"}
        with self.client.post(
            action,
            headers=referer,
            data={**hidden, **data},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                heading = HEADING.search(answer.text or "")
                answer.failure(f"HTTP {answer.status_code} {heading.group(1).strip() if heading else ''}")
                return None
            return answer.headers["Location"]

    @task
    def report_a_street_light(self):
        self.client.cookies.clear()
        step = self._send("/report", "report: type", {"report_type": "street-light"})
        if step is None:
            return
        journey = step.rsplit("/", 1)[0]
        answers = [
            (
                f"{journey}/place",
                "report: place",
                {"description": f"Lamp post by the bench-scale marker {uuid.uuid4()}"},
            ),
        ]
        step = self._send(*answers[0])
        while step is not None and "/question/" in step:
            code = step.rsplit("/", 1)[1]
            step = self._send(
                step, "report: question", {"fault": {"answer": "out"}}.get(code, {"answer": ""})
            )
        for name, data in (
            ("report: details", {"description": "Out every night"}),
            ("report: photo", {}),
            ("report: email", {"email": ""}),
            ("report: check", {}),
        ):
            if step is None:
                return
            step = self._send(step, name, data)
        if step is not None and step.endswith("/confirmation") and self._page(step, "report: confirmation"):
            totals["confirmations"] += 1

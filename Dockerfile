# The portal's container image (docs/operating.md). Three stages: Node builds the stylesheets and scripts, a
# Python stage installs the dependencies into a virtualenv, and the runtime is a slim Python with neither
# compilers nor Node nor pip's cache, running as an unprivileged user.
#
#   docker build -t my-norfolk .
#   docker run -e PORTAL_SECRET_KEY=... -e PORTAL_DATABASE_URL=... -e PORTAL_REDIS_URL=... my-norfolk
#
# The same image runs the web app (the default command: gunicorn with gunicorn.conf.py), the delivery worker
# (`flask --app wsgi worker`), migrations (`flask --app wsgi db upgrade`) and the sandbox (deploy/compose.yaml).

FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY static/ static/
COPY themes/ themes/
RUN npm run build

FROM python:3.11-slim-bookworm AS dependencies
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /venv
WORKDIR /build
COPY pyproject.toml README.md ./
# pyproject.toml declares no package of its own: this installs its dependencies (all published as wheels, so
# no compiler is needed here either).
RUN /venv/bin/pip install .

FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --shell /usr/sbin/nologin portal \
    && mkdir -p /var/lib/portal \
    && chown portal:portal /var/lib/portal
COPY --from=dependencies /venv /venv
WORKDIR /app
COPY wsgi.py gunicorn.conf.py babel.cfg ./
COPY app/ app/
COPY connectors/ connectors/
COPY migrations/ migrations/
COPY sandbox/ sandbox/
COPY themes/ themes/
COPY translations/ translations/
COPY static/src/ static/src/
COPY --from=assets /build/static/dist/ static/dist/
ENV PATH=/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORTAL_ENV=production \
    PORTAL_INSTANCE_DIR=/var/lib/portal \
    PORT=8000
USER portal
EXPOSE 8000
# Alive: /healthz asks no dependency, so a database outage does not get every container restarted (the load
# balancer watches /readyz). The worker's container replaces this with `flask --app wsgi worker --check`.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"]
CMD ["gunicorn", "wsgi:app"]

# incubench production image. Multi-stage: build a virtualenv, copy it into a slim runtime that runs as a
# non-root user. The embedded SecantusDB is NOT in the image: production points INCUBENCH_MONGODB_URI at a
# real MongoDB (see compose.yaml). Docker cannot run on our development machines; this file is kept
# correct by reading.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
COPY backend ./backend
COPY evaluation ./evaluation
COPY cloud_incubator ./cloud_incubator
RUN pip install --upgrade pip && pip install .

FROM python:3.11-slim AS runtime
RUN groupadd --system incubench && useradd --system --gid incubench --home-dir /app --shell /usr/sbin/nologin incubench
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=incubench:incubench frontend_static ./frontend_static
COPY --chown=incubench:incubench graphql ./graphql
RUN mkdir -p /app/var && chown incubench:incubench /app/var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    INCUBENCH_HOME=/app \
    INCUBENCH_VAR_DIR=/app/var \
    INCUBENCH_ENV=production \
    INCUBENCH_HOST=0.0.0.0 \
    INCUBENCH_PORT=8000 \
    INCUBENCH_ALLOWED_HOSTS='["localhost","127.0.0.1"]'
USER incubench
EXPOSE 8000
# Readiness: a real write and read of the database within 2 s (503 otherwise); /livez only says the process runs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
# Behind a reverse proxy set INCUBENCH_ALLOWED_HOSTS to the public host name(s) and INCUBENCH_TRUSTED_PROXIES
# to the proxy's address (docs/operations.md).
# INCUBENCH_MONGODB_URI and INCUBENCH_JWT_SECRET must be provided; production refuses to start without them.
CMD ["incubench", "run"]

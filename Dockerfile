# The hub's image: the same code runs the API and the worker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HUB_DATA_DIR=/data

# OpenSSL's GOST engine and command (Debian's packages): GOST signatures go through the
# engine, and a GOST dev PKI (`hub pki init --crypto gost`) is made by the command with it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssl libengine-gost-openssl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
# The runtime packages only: tooling/ (bench, chaos, the demo) is for a checkout, not the hub.
COPY hub ./hub
COPY adapters ./adapters
COPY schemas ./schemas
COPY signing ./signing
COPY queues ./queues
# The partners' texts, which the published contract (hub/contract/partners) links in.
COPY docs/partners ./docs/partners
RUN pip install --no-cache-dir . && useradd --system --uid 10001 hub \
    && mkdir -p /data /srv/exchange && chown hub /data /srv/exchange

USER hub
EXPOSE 8000
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker"]

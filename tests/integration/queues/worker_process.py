"""``python -m tests.integration.queues.worker_process``: run_worker in a process of its own.

Configured by the environment like the real ``hub worker`` (``DATABASE_URL``,
``REDIS_URL``, ``HUB_*``), with the loopback HTTP partner's adapter installed.
"""

import logging

from hub.config import Settings
from hub.store import make_engine, make_session_factory
from queues import run_worker
from tests.integration.queues.http_partner import HTTP_ADAPTER


def main() -> None:
    logging.basicConfig(level=logging.INFO)
    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    try:
        run_worker(settings, make_session_factory(engine), {HTTP_ADAPTER.code: HTTP_ADAPTER})
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()

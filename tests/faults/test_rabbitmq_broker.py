"""The broker is swappable: the same faults on dramatiq's RabbitMQ broker instead of Redis."""

import time
from pathlib import Path

from sqlalchemy import func, select

from hub.store import DeliveryStatus, OutboxDelivery
from tests.faults.loads import assert_promises_kept, send_during
from tooling.chaos import check
from tooling.rig import Mode, Rig, RigOptions

#: Few retries, and a breaker that never opens, so a failing partner makes dead letters fast.
MAX_RETRIES = 2
#: Dead letters to wait for before the partner heals.
DEAD_WANTED = 3
#: How long the failing partner may take to make them, in seconds.
DEAD_DEADLINE_S = 40.0


def test_on_rabbitmq_a_killed_worker_and_dead_letters_lose_nothing(
    rabbitmq_url: str, tmp_path: Path
) -> None:
    options = RigOptions(
        data_dir=tmp_path / "rig",
        broker_url=rabbitmq_url,
        apis=1,
        workers=2,
        env={"HUB_DELIVERY_MAX_RETRIES": str(MAX_RETRIES), "HUB_CIRCUIT_FAILURE_THRESHOLD": "1000"},
    )
    with Rig(options).start() as rig:
        # Given partners that fail every call…
        rig.receiver.set_mode(Mode.FAIL)

        def dead_letters_then_a_killed_worker() -> None:
            # …until some deliveries have exhausted their retries; then a worker is
            # killed with SIGKILL while the partners heal.
            _wait_for_dead(rig, DEAD_WANTED)
            rig.kill("worker-1")
            rig.receiver.set_mode(Mode.OK)
            rig.restart("worker-1")

        results = send_during(rig, 30, dead_letters_then_a_killed_worker)
        # When the checker replays the dead letters as an operator would,
        figures = check(rig, results, max_retries=MAX_RETRIES)

    # Then they went dead only after their retries, and the replay delivered each.
    assert figures.dead >= DEAD_WANTED
    assert figures.replayed == figures.dead
    assert (figures.dead_early, figures.dead_not_replayable) == (0, 0), figures.dead_early_rows
    assert_promises_kept(figures, messages=30)


def _wait_for_dead(rig: Rig, wanted: int) -> None:
    deadline = time.monotonic() + DEAD_DEADLINE_S
    while True:
        with rig.session() as session:
            dead = session.scalar(
                select(func.count())
                .select_from(OutboxDelivery)
                .where(OutboxDelivery.status == DeliveryStatus.DEAD)
            )
        if (dead or 0) >= wanted:
            return
        assert time.monotonic() < deadline, f"only {dead} dead letters after {DEAD_DEADLINE_S} s"
        time.sleep(0.2)

"""Per-partner rate limit on posted messages, shared by every API process through Redis.

A fixed one-second window per partner (one pipelined INCR + EXPIRE per message): a
partner system stuck in a resend loop cannot crowd out the others. Without a Redis
broker (offline tools, the stub broker) there is nothing to share and no limit.
"""

import redis

from hub.errors import Rejection

#: Window counters outlive their second briefly, then Redis drops them.
_KEY_TTL_S = 2


class PartnerRateLimit:
    """At most ``per_second`` messages a second from one partner; 0 means no limit."""

    def __init__(self, client: redis.Redis | None, per_second: int) -> None:
        self._client = client
        self._per_second = per_second

    def check(self, partner: str, *, now: float) -> None:
        """Count one message from ``partner`` at ``now`` (epoch seconds).

        Raises:
            Rejection: ``auth.rate_limited`` (429, ``retry_after_s`` = 1).
        """
        if self._client is None or self._per_second <= 0:
            return
        key = f"hub:rate:{partner}:{int(now)}"
        pipe = self._client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, _KEY_TTL_S)
        count, _ = pipe.execute()
        if int(count) > self._per_second:
            raise Rejection(
                "auth.rate_limited",
                f"more than {self._per_second} messages a second from {partner}",
                retry_after_s=1,
            )

"""Resolve a message's recipients from its route, its header and the registered partners."""

from collections.abc import Collection, Sequence

from hub.errors import Rejection
from hub.routing.rules import CORRELATED_SENDER, Route


def resolve_recipients(
    route: Route,
    *,
    sender: str,
    explicit: Sequence[str],
    correlated_sender: str | None,
    registered: Collection[str],
) -> list[str]:
    """Return the recipients, in rule order, without duplicates or the sender itself.

    Explicit recipients (the envelope's ``Recipients``) replace the route's
    default list but must each be allowed by the route. Only registered
    partners receive anything: a deployment onboards every partner it routes to.

    Raises:
        Rejection: ``routing.recipient_not_allowed``, ``routing.no_recipients``.
    """

    def expand(token: str) -> str | None:
        return correlated_sender if token == CORRELATED_SENDER else token

    allowed = {code for code in map(expand, route.allowed_recipients) if code}
    if explicit:
        refused = sorted(set(explicit) - allowed)
        if refused:
            raise Rejection("routing.recipient_not_allowed", f"recipients {refused} not allowed")
        wanted: Sequence[str | None] = explicit
    else:
        wanted = [expand(token) for token in route.recipients]
    recipients: list[str] = []
    for code in wanted:
        if code and code != sender and code in registered and code not in recipients:
            recipients.append(code)
    if not recipients:
        raise Rejection(
            "routing.no_recipients", f"no registered recipient for {route.message_type}"
        )
    return recipients

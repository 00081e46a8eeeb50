"""Authorisation: the caller is the envelope's Sender, and that sender may send this type."""

from collections.abc import Callable

from hub.errors import Rejection
from hub.routing import Route


def authorize_sender(
    *,
    authenticated: str | None,
    sender: str,
    message_type: str,
    route: Route | None,
    agency_of: Callable[[str], str],
) -> Route:
    """Return the route for this message if ``sender`` may send it.

    ``authenticated`` is the partner proven by the API key (None for offline
    checks such as ``hub verify``). The signature has already bound the
    certificate to ``sender``. The rules name agencies: an organisation (a school
    registered under ``education``) may send what its agency may; ``agency_of`` is
    asked only for a sender the rules do not name themselves.

    Raises:
        Rejection: ``auth.sender_mismatch``, ``auth.type_not_allowed``.
    """
    if authenticated is not None and authenticated != sender:
        raise Rejection(
            "auth.sender_mismatch", f"authenticated as {authenticated}, Sender is {sender}"
        )
    if route is None or (sender not in route.senders and agency_of(sender) not in route.senders):
        raise Rejection("auth.type_not_allowed", f"{sender} may not send {message_type}")
    return route

"""Resolve a message's recipients from its route, its header and what the hub knows of the case."""

from collections.abc import Collection, Sequence
from typing import Protocol

from hub.errors import Rejection
from hub.routing.rules import (
    CASE_PARTICIPANTS,
    CASE_REFERRER,
    CORRELATED_SENDER,
    DECISION_BODY,
    PLAN_EXECUTORS,
    Route,
)


class RoutingFacts(Protocol):
    """What routing may ask about one message; the ingest answers from the database."""

    def correlated_sender(self) -> str | None:
        """The sender of the message named by CorrelationId; None when there is none.

        Raises:
            Rejection: ``routing.unknown_correlation`` — it names no message the hub has.
        """
        ...

    def case_referrer(self) -> str | None:
        """The sender of the referral that opened the message's case."""
        ...

    def case_participants(self) -> set[str]:
        """Partners that sent or received a message on the message's case."""
        ...

    def case_category(self) -> str | None:
        """The case's category (sop/tjs) from its decision, if decided."""
        ...

    def decision_body(self) -> str | None:
        """The partner of the body that decides the case's category in the case's region.

        None before the case is decided (no category) or without a case.
        """
        ...

    def plan_executors(self) -> list[str]:
        """The agencies responsible for the actions the message names (a plan, an assignment)."""
        ...


def resolve_recipients(
    route: Route,
    *,
    sender: str,
    explicit: Sequence[str],
    facts: RoutingFacts,
    registered: Collection[str],
) -> list[str]:
    """Return the recipients, in rule order, without duplicates or the sender itself.

    Explicit recipients (the envelope's ``Recipients``) replace the route's
    default list but must each be allowed by the route. Only registered
    partners receive anything: a deployment onboards every partner it routes to.

    Raises:
        Rejection: ``routing.recipient_not_allowed``, ``routing.no_recipients``, and
            whatever ``facts`` raises (``routing.unknown_correlation``).
    """
    if explicit:
        allowed = _expand(route.allowed_recipients, facts)
        refused = sorted(set(explicit) - set(allowed))
        if refused:
            raise Rejection("routing.recipient_not_allowed", f"recipients {refused} not allowed")
        wanted: list[str] = list(explicit)
    else:
        wanted = _expand(route.recipients, facts)
        category = facts.case_category() if route.when_category else None
        wanted += _expand(route.when_category.get(category or "", ()), facts)
    recipients: list[str] = []
    for code in wanted:
        if code != sender and code in registered and code not in recipients:
            recipients.append(code)
    if not recipients:
        raise Rejection(
            "routing.no_recipients", f"no registered recipient for {route.message_type}"
        )
    return recipients


def _expand(tokens: Collection[str], facts: RoutingFacts) -> list[str]:
    codes: list[str] = []
    for token in tokens:
        if token == CORRELATED_SENDER:
            codes.extend(filter(None, [facts.correlated_sender()]))
        elif token == CASE_REFERRER:
            codes.extend(filter(None, [facts.case_referrer()]))
        elif token == CASE_PARTICIPANTS:
            codes.extend(sorted(facts.case_participants()))
        elif token == PLAN_EXECUTORS:
            codes.extend(facts.plan_executors())
        elif token == DECISION_BODY:
            codes.extend(filter(None, [facts.decision_body()]))
        else:
            codes.append(token)
    return codes

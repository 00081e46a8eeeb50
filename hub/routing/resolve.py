"""Resolve a message's recipients from its route, its header and what the hub knows of the case."""

from collections.abc import Collection, Mapping, Sequence
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
        """The ``ResponsibleAgency`` of each action the message names (a plan, an assignment):
        an agency's code or an organisation's."""
        ...


def resolve_recipients(
    route: Route,
    *,
    sender: str,
    explicit: Sequence[str],
    facts: RoutingFacts,
    registered: Mapping[str, str],
) -> list[str]:
    """Return the recipients, in rule order, without duplicates or the sender itself.

    ``registered`` maps each active partner's code to its agency. The rules name
    agencies: a code in a rule means the partner registered under that code (the
    agency's own system), while tokens answer with the partners themselves, so an
    organisation (a school) gets the receipt for its referral or the action named for
    it. Explicit recipients (the envelope's ``Recipients``) replace the route's default
    list but must each be allowed by the route, themselves or by their agency. Only
    registered partners receive anything: a deployment onboards every partner it
    routes to.

    Raises:
        Rejection: ``routing.recipient_not_allowed``, ``routing.no_recipients``,
            ``routing.executor_unnamed``, and whatever ``facts`` raises
            (``routing.unknown_correlation``).
    """
    if explicit:
        allowed = set(_expand(route.allowed_recipients, facts, registered))
        refused = sorted(
            code for code in set(explicit) if not {code, registered.get(code)} & allowed
        )
        if refused:
            raise Rejection("routing.recipient_not_allowed", f"recipients {refused} not allowed")
        wanted: list[str] = list(explicit)
    else:
        wanted = _expand(route.recipients, facts, registered)
        category = facts.case_category() if route.when_category else None
        wanted += _expand(route.when_category.get(category or "", ()), facts, registered)
    recipients: list[str] = []
    for code in wanted:
        if code != sender and code in registered and code not in recipients:
            recipients.append(code)
    if not recipients:
        raise Rejection(
            "routing.no_recipients", f"no registered recipient for {route.message_type}"
        )
    return recipients


def _expand(
    tokens: Collection[str], facts: RoutingFacts, registered: Mapping[str, str]
) -> list[str]:
    codes: list[str] = []
    for token in tokens:
        if token == CORRELATED_SENDER:
            codes.extend(filter(None, [facts.correlated_sender()]))
        elif token == CASE_REFERRER:
            codes.extend(filter(None, [facts.case_referrer()]))
        elif token == CASE_PARTICIPANTS:
            codes.extend(sorted(facts.case_participants()))
        elif token == PLAN_EXECUTORS:
            codes.extend(_executors(facts.plan_executors(), registered))
        elif token == DECISION_BODY:
            codes.extend(filter(None, [facts.decision_body()]))
        else:
            codes.append(token)
    return codes


def _executors(named: Sequence[str], registered: Mapping[str, str]) -> list[str]:
    """The partners the actions go to: each one named, a registered partner as it is.

    An agency named without a system of its own on the hub but with organisations
    registered under it (schools, each with its own gateway) cannot be delivered to:
    the hub does not guess which school is meant, the plan must name it. A code nobody
    registered is left for ``resolve_recipients`` to drop, as any unregistered recipient.

    Raises:
        Rejection: ``routing.executor_unnamed``.
    """
    for code in named:
        if code not in registered and code in registered.values():
            organisations = sorted(p for p, agency in registered.items() if agency == code)
            raise Rejection(
                "routing.executor_unnamed",
                f"ResponsibleAgency {code} has no system of its own on the hub; "
                f"name one of its organisations ({', '.join(organisations[:5])}"
                f"{', …' if len(organisations) > 5 else ''})",
            )
    return list(named)

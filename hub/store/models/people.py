"""People who use the hub's pages: accounts with a role and scope, sessions, logins, audit.

Partner systems authenticate with API keys (``Partner``); people log in with a
password. Every view of case data by a person leaves an ``AuditEntry``.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.base import Base
from hub.store.types import BigId, intpk, sha256_hex


class Person(Base):
    """An account: curator, agency officer, supervisor or administrator, scoped to a region."""

    __tablename__ = "person"
    # One account per staff id in a region: two would both see that curator's cases.
    __table_args__ = (UniqueConstraint("region", "staff_id"),)

    id: Mapped[intpk]
    login: Mapped[str] = mapped_column(String(64), unique=True)
    #: [identity] full name, shown; never used to decide what the person sees.
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # hub.cases.Role: curator … auditor
    #: Region code; None only for the hub's staff (administrators, operators…), who are not
    #: bound to one region.
    region: Mapped[str | None] = mapped_column(String(32))
    #: The partner system (agency) the person works for, e.g. "health" for an officer.
    agency: Mapped[str | None] = mapped_column(String(32))
    #: A curator's staff id in the case owner's system (``Curator/StaffId`` of the messages):
    #: the curator sees the cases of their region whose curator has this id.
    staff_id: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    #: Where the daily «требует внимания» summary goes, if the person opted in.
    email: Mapped[str | None] = mapped_column(String(254))
    digest_opt_in: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Person(login={self.login!r}, role={self.role!r}, region={self.region!r})"


class WebSession(Base):
    """A logged-in browser: the cookie holds the token, the table only its hash."""

    __tablename__ = "web_session"

    id: Mapped[intpk]
    token_hash: Mapped[sha256_hex] = mapped_column(unique=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("person.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """One login try, kept to rate-limit guessing per login and per client address."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_login_at", "login", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
    )

    id: Mapped[intpk]
    login: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    succeeded: Mapped[bool]


class AuditEntry(Base):
    """Who looked at or exported what, when, and why (if they said)."""

    __tablename__ = "audit_entry"

    id: Mapped[intpk]
    at: Mapped[datetime] = mapped_column(index=True)
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("person.id"))
    login: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    #: e.g. case.view, case.list, case.export, stats.view, login, login.refused, logout.
    action: Mapped[str] = mapped_column(String(32))
    case_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Machine-made (filters, formats); never personal data.
    detail: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(String(500))
    client: Mapped[str | None] = mapped_column(String(64))

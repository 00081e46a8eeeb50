"""People who use the hub's pages: accounts, password login, sessions, scope, audit."""

from hub.people.accounts import (
    DIGEST_ROLES,
    LOGIN_PATTERN,
    MIN_PASSWORD_CHARS,
    PersonInvalid,
    add_person,
    disable_person,
    find_person,
    list_people,
    reset_password,
    set_digest,
    set_staff_id,
)
from hub.people.audit import list_audit, record_audit
from hub.people.logins import LoginRefused, LoginThrottled, log_in
from hub.people.passwords import hash_password, verify_password
from hub.people.sessions import end_session, find_session, open_session
from hub.people.viewers import viewer_for

__all__ = [
    # Accounts
    "DIGEST_ROLES",
    "LOGIN_PATTERN",
    "MIN_PASSWORD_CHARS",
    "PersonInvalid",
    "add_person",
    "disable_person",
    "find_person",
    "list_people",
    "reset_password",
    "set_digest",
    "set_staff_id",
    # Passwords and login
    "LoginRefused",
    "LoginThrottled",
    "hash_password",
    "log_in",
    "verify_password",
    # Sessions and scope
    "end_session",
    "find_session",
    "open_session",
    "viewer_for",
    # Audit
    "list_audit",
    "record_audit",
]

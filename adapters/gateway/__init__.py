"""The partner-side gateway: what an agency runs beside its own system (``hub gateway run``).

The system speaks its native format to the gateway and never touches a signature. In: native
input → the adapter's ``translate`` → the hub's schemas → signed with the partner's key →
``spool`` (durable, SQLite) → ``sender`` → the hub, answered natively with the hub's id or
its refusal code. Out: the hub's pull inbox → verified against the CA → ``inbox`` → the
adapter's transport into the system → ack. Modules: ``spool``, ``sender``, ``intake``
(translate, check, sign, spool), ``inbox``, ``rest`` (the shared JSON form) and one module
per partner system's native side, ``process`` (the assembled process).
"""

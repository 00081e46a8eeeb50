"""Development tooling: what measures, attacks and shows the hub, never what runs it.

``bench`` (``hub bench``), ``chaos`` (``hub chaos``), ``rig`` (the hub as real processes,
for both and for the fault suite), ``demo`` (``make demo``), ``commands`` (those three
commands, each defined in its package's ``command`` module) and ``layering`` (the import
rule ``make lint`` checks). The API and the worker import nothing from here; the ``hub``
command loads ``tooling.commands`` only when one of its commands runs, and the production
image does not ship this package.
"""

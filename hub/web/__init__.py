"""The hub's web pages for people: templates, the signed-in person, security headers.

Wiring-level like ``hub.api``: it joins the runtime, ``hub.people`` and
``hub.cases`` to HTTP. Import what you need from the submodules
(``hub.web.auth``, ``hub.web.templating``, ``hub.web.security``).
"""

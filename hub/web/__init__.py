"""The hub's web pages for people (Russian): templates, charts, CSRF and security headers.

Who is signed in and the audited reads come from ``hub.access``, shared with the JSON
API; this package never imports ``hub.api``. Import what you need from the submodules
(``hub.web.auth``, ``hub.web.templating``, ``hub.web.security``).
"""

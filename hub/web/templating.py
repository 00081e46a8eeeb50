"""The pages' Jinja2 environment: templates from this package, autoescaped, with Russian dates.

Built once per app by ``make_templates`` (``create_app`` keeps it on
``app.state.templates``); routes take it through ``TemplatesDep``. Undefined
names fail loudly, so a template never silently renders an empty field.
"""

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined

from hub.cases import labels


def dt(value: datetime, tz: str | None = None) -> str:
    """``24.11.2026 15:30`` in the IANA zone ``tz`` (UTC when None)."""
    return value.astimezone(ZoneInfo(tz) if tz else UTC).strftime("%d.%m.%Y %H:%M")


def d(value: date) -> str:
    """``24.11.2026``."""
    return value.strftime("%d.%m.%Y")


def role_name(role: str) -> str:
    """The Russian name of a role value (``curator`` → ``куратор``)."""
    return labels.label(labels.ROLE_LABELS, str(role))


def make_templates() -> Jinja2Templates:
    """The templates of ``hub/web/templates``, autoescaped, with the ``dt``, ``d`` and
    ``role_name`` filters."""
    env = Environment(
        loader=PackageLoader("hub.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dt"] = dt
    env.filters["d"] = d
    env.filters["role_name"] = role_name
    return Jinja2Templates(env=env)


def get_templates(request: Request) -> Jinja2Templates:
    templates = request.app.state.templates
    assert isinstance(templates, Jinja2Templates)
    return templates


TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]

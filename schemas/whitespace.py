"""XSD whitespace: the value a schema compares, for text a reader takes from a validated element.

An ``xs:token`` (and every type derived from it: identifiers, short texts, name parts,
``xs:language``) collapses XML's whitespace, and so do dates, times, numbers and booleans;
an ``xs:string`` keeps its text as written. A reader that wants the value the XSD checked
must apply the same rule, or `` ИПСС-1`` and ``ИПСС-1`` become two different actions.
"""

from __future__ import annotations

import re

__all__ = ["XML_WHITESPACE", "collapse"]

#: XML's own whitespace; Unicode spaces (e.g. no-break space) are text to the XSD.
XML_WHITESPACE = " \t\n\r"

_RUNS = re.compile(r"[ \t\n\r]+")


def collapse(text: str) -> str:
    """Return ``text`` as xs:token sees it: XML whitespace runs as one space, none at the ends."""
    # Most values need nothing; the checks cost a third of the substitution (the hub
    # reads some sixty tokens per referral). isprintable() is False for \t, \n and \r.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return _RUNS.sub(" ", text).strip(" ")

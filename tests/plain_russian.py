"""The check that what a person reads is Russian: no word written in Latin letters only.

Curators, supervisors and agencies' officers read Russian; a word in Latin letters on
their pages is a code (``case.action_unknown``, ``education:2026-12-01``), an id
(``A1``), a zone name (``Asia/Kamchatka``) or English, all of which the pages must put
in words. A word here keeps the joiners codes use (``_ . : / @ -``) inside it, so a code
is one word, and a word with any Cyrillic letter is Russian.
"""

import re
from collections.abc import Collection
from typing import Final

import httpx
import lxml.html

#: Latin words a Russian page may hold, each a name people read as it is written:
ALLOWED_LATIN: Final = frozenset(
    {
        # The time standard: a region's offset is written «UTC+12» in Russian too.
        "UTC",
        # The program the actions export opens in, named as its users know it.
        "Excel",
    }
)

#: Starts and ends with a letter or digit; codes' joiners may sit inside.
_WORD = re.compile(r"[^\W_](?:[\w.:/@-]*[^\W_])?")
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
#: Attributes whose text a person sees or hears (a tooltip, a field's hint, a screen reader).
_READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
#: Elements whose text is not shown.
_UNREAD_ELEMENTS = ("script", "style", "template")


def latin_words(text: str, *, allowed: Collection[str] = ()) -> list[str]:
    """The words of ``text`` with a Latin letter and no Cyrillic one, in order.

    ``ALLOWED_LATIN`` and ``allowed`` (such as the case numbers the page shows, which the
    social centre's system gives in Latin letters) are left out.
    """
    return [
        word
        for word in _WORD.findall(text)
        if _LATIN.search(word)
        and not _CYRILLIC.search(word)
        and word not in ALLOWED_LATIN
        and word not in allowed
    ]


def read_text(html: str) -> str:
    """What a person reads of an HTML page: its text and the read attributes, one per line."""
    root = _parse(html)
    for element in list(root.iter(*_UNREAD_ELEMENTS)):
        element.drop_tree()
    attributes = [
        value
        for element in root.iter()
        for value in (element.get(attribute) for attribute in _READ_ATTRIBUTES)
        if value is not None
    ]
    return "\n".join([root.text_content(), *attributes])


def _parse(html: str) -> lxml.html.HtmlElement:
    root = lxml.html.document_fromstring(html)
    assert isinstance(root, lxml.html.HtmlElement)
    return root


#: Links not followed: the JSON API, files, leaving, and the API's own documentation.
_NOT_READ = ("/api/", "/static/", "/logout", "/docs", "/redoc")


def site_path(here: httpx.URL, href: str) -> str | None:
    """The path (with query) a link on page ``here`` leads to, if it is one of the site's
    pages a person reads; None for another site's or one of ``_NOT_READ``."""
    target = here.join(href)
    if (target.host, target.port) != (here.host, here.port):
        return None
    path = target.raw_path.decode("ascii")
    return None if path.startswith(_NOT_READ) else path


def read_site(client: httpx.Client, start: str = "/") -> dict[str, str]:
    """What the person of ``client`` reads on every page and export reachable from ``start``
    by the site's own links: URL path (with query) → read text (a CSV's is its text).

    Only the site's own addresses are followed; each must answer 200 with HTML or CSV.
    """
    seen: dict[str, str] = {}
    queue = [start]
    while queue:
        address = queue.pop(0)
        if address in seen:
            continue
        answer = client.get(address, follow_redirects=True)
        assert answer.status_code == 200, (address, answer.status_code)
        kind = answer.headers["content-type"].split(";")[0]
        if kind == "text/csv":
            seen[address] = answer.content.decode("utf-8-sig")
            continue
        assert kind == "text/html", (address, kind)
        seen[address] = read_text(answer.text)
        for link in _parse(answer.text).iter("a"):
            href = link.get("href")
            path = None if href is None else site_path(answer.url, href)
            if path is not None and path not in seen:
                queue.append(path)
    return seen

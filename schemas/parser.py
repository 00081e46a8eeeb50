"""The one safe XML parser of the project: every inbound message is parsed here first.

``parse_xml`` enforces the size limit before libxml2 sees a byte, parses without DTDs,
entity expansion or network access, and then refuses the constructs the message profile has
no use for (see docs/xml-security.md): a DOCTYPE, entity references, processing instructions,
comments and XInclude. Depth, element count and attributes per element are bounded so that
canonicalisation and signature checks downstream run on a tree of known, small shape.
All tree checks run inside libxml2 (filtered iteration and compiled XPath): a hostile tree
costs no Python recursion, and a 4 KB referral about 20 µs on top of the libxml2 parse.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass

from lxml import etree

from schemas.errors import (
    ForbiddenConstruct,
    XmlForbidden,
    XmlMalformed,
    XmlTooComplex,
    XmlTooDeep,
    XmlTooLarge,
)

__all__ = ["ParseLimits", "parse_xml"]

_XINCLUDE_NS = "http://www.w3.org/2001/XInclude"

#: libxml2 refuses documents deeper than this unless huge_tree is set (we never set it).
_LIBXML2_MAX_DEPTH = 256

# libxml2's message for its depth limit; the error code (ERR_RESOURCE_LIMIT) is shared with
# limits on huge text nodes, which cannot be reached under max_bytes anyway.
_LIBXML2_DEPTH_MESSAGE = "Excessive depth in document"

# libxml2 checks entity declarations even with resolve_entities=False: a billion-laughs or
# quadratic blow-up stops at its amplification limit, a recursive entity at its loop check,
# before the tree exists for _refuse_constructs. Both can only come from a DTD's entities,
# so they are refused as such rather than as malformed, whatever the size of the attack.
_LIBXML2_AMPLIFICATION_MESSAGE = "Maximum entity amplification factor exceeded"
_LIBXML2_ENTITY_LOOP = "ERR_ENTITY_LOOP"


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds on an inbound document; the defaults fit every canonical message."""

    #: Size of the raw message, in bytes.
    max_bytes: int = 1_048_576
    #: Nesting levels of elements; the root element is level 1.
    max_depth: int = 64
    #: Elements in the whole document.
    max_elements: int = 20_000
    #: Attributes on any one element (namespace declarations are not attributes).
    max_attributes_per_element: int = 32


#: First bytes that fix the encoding before the declaration is read (XML 1.0 Appendix F):
#: (prefix, family the declaration must name, codec to read the declaration). UTF-32 first,
#: since its little-endian BOM starts with UTF-16's.
_SNIFFED_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf32", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf32", "utf-32"),
    (codecs.BOM_UTF8, "utf8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf16", "utf-16"),
    (b"<\x00?\x00", "utf16", "utf-16-le"),
    (b"\x00<\x00?", "utf16", "utf-16-be"),
)
_DECLARED_ENCODING = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True, slots=True)
class _ShapeChecks:
    """Compiled XPath tests for one ParseLimits; each is true when the tree breaks a limit."""

    too_many_elements: etree.XPath
    too_deep: etree.XPath
    too_many_attributes: etree.XPath


class _ThreadParsing(threading.local):
    """This thread's parser and shape checks, never shared with another thread.

    lxml serialises a shared parser or XPath behind a lock, and worse: a thread whose first
    parse goes through another thread's parser adopts that thread's libxml2 string
    dictionary, which libxml2 does not lock. Two threads' parsers then write into one
    dictionary at once: here a valid message failed as ERR_TAG_NAME_MISMATCH in a worker,
    and a stress run with one shared parser crashed (docs/xml-security.md).
    """

    def __init__(self) -> None:
        self.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            # Kept, not silently dropped, so that they can be refused below.
            remove_comments=False,
            remove_pis=False,
        )
        self.shape_checks: dict[ParseLimits, _ShapeChecks] = {}

    def shape_checks_for(self, limits: ParseLimits) -> _ShapeChecks:
        checks = self.shape_checks.get(limits)
        if checks is None:
            checks = self.shape_checks[limits] = _compile_shape_checks(limits)
        return checks


_THREAD = _ThreadParsing()


def _compile_shape_checks(limits: ParseLimits) -> _ShapeChecks:
    # Each test asks libxml2 for one node past the limit instead of counting: the first
    # match answers, and no node set is built in Python.
    one_level_too_deep = "/" + "/".join(["*"] * (limits.max_depth + 1))
    return _ShapeChecks(
        too_many_elements=etree.XPath(f"boolean(/descendant::*[{limits.max_elements + 1}])"),
        too_deep=etree.XPath(f"boolean({one_level_too_deep})"),
        # The attribute step's predicate counts per element: "an element with a (limit+1)th
        # attribute".
        too_many_attributes=etree.XPath(f"boolean(//@*[{limits.max_attributes_per_element + 1}])"),
    )


def parse_xml(raw: bytes, limits: ParseLimits = ParseLimits()) -> etree._Element:
    """Parse one inbound message and return its root element.

    Parameters:
        raw: the message bytes exactly as received; the encoding comes from the XML
            declaration (UTF-8 when absent).
        limits: size and shape bounds.

    Raises:
        XmlTooLarge: ``raw`` is longer than ``limits.max_bytes`` (checked before parsing).
        XmlMalformed: not well-formed, truncated, not XML, invalid in its encoding, or
            declared in another encoding than its BOM (or UTF-16 byte pattern) shows.
        XmlTooDeep: nesting deeper than ``limits.max_depth`` (or libxml2's 256).
        XmlTooComplex: more than ``limits.max_elements`` elements, or more than
            ``limits.max_attributes_per_element`` attributes on one element.
        XmlForbidden: a DOCTYPE, entity reference, processing instruction, comment or
            XInclude element anywhere in the document, prolog and epilog included; also
            entities that libxml2 stops while parsing (amplification limit, reference loop).
    """
    if len(raw) > limits.max_bytes:
        raise XmlTooLarge(len(raw), limits.max_bytes)
    if _declaration_contradicts_bytes(raw):
        raise XmlMalformed("ERR_ENCODING_DECLARATION_MISMATCH", 1)
    try:
        root = etree.fromstring(raw, _THREAD.parser)
    except etree.XMLSyntaxError as exc:
        # "from None": libxml2's message may quote document bytes, which must not reach logs.
        raise _syntax_error(exc) from None
    _refuse_constructs(root)
    _enforce_shape(root, limits)
    return root


def _declaration_contradicts_bytes(raw: bytes) -> bool:
    """Whether a BOM (or UTF-16 byte pattern) names another encoding than the declaration.

    libxml2 trusts the bytes and ignores such a declaration, so a UTF-16 body that claims
    to be UTF-8 would be accepted and logged as evidence that other parsers read otherwise.
    XML 1.0 §4.3.3 makes it a fatal error.
    """
    for prefix, family, codec in _SNIFFED_ENCODINGS:
        if raw.startswith(prefix):
            declaration = raw[:400].decode(codec, errors="ignore")
            declared = _DECLARED_ENCODING.match(declaration.lstrip("\ufeff"))
            if declared is None:
                return False
            name = declared.group(1).lower().replace("-", "").replace("_", "")
            return not name.startswith(family)
    return False


def _syntax_error(exc: etree.XMLSyntaxError) -> XmlTooDeep | XmlForbidden | XmlMalformed:
    if exc.msg.startswith(_LIBXML2_DEPTH_MESSAGE):
        return XmlTooDeep(_LIBXML2_MAX_DEPTH)
    entry = exc.error_log.last_error  # type: ignore[attr-defined]  # lxml-stubs: _ErrorLog is empty
    detail = entry.type_name if entry is not None else "ERR_UNKNOWN"
    if exc.msg.startswith(_LIBXML2_AMPLIFICATION_MESSAGE) or detail == _LIBXML2_ENTITY_LOOP:
        return XmlForbidden("entity")
    return XmlMalformed(detail, exc.lineno)


def _refuse_constructs(root: etree._Element) -> None:
    # With load_dtd=False libxml2 ignores a DOCTYPE rather than refusing it: refuse it here.
    # Any DOCTYPE, even "<!DOCTYPE a>" without a subset, creates the internal DTD node.
    if root.getroottree().docinfo.internalDTD is not None:
        raise XmlForbidden("doctype")
    # Comments and PIs outside the root are siblings of it; a signature over the root
    # element would not cover them.
    for node in root.itersiblings(preceding=True):
        raise XmlForbidden(_construct_of(node))
    for node in root.itersiblings():
        raise XmlForbidden(_construct_of(node))
    for node in root.iter(
        etree.Comment, etree.ProcessingInstruction, etree.Entity, f"{{{_XINCLUDE_NS}}}*"
    ):
        raise XmlForbidden(_construct_of(node))


def _construct_of(node: etree._Element) -> ForbiddenConstruct:
    if isinstance(node, etree._Comment):
        return "comment"
    if isinstance(node, etree._ProcessingInstruction):
        return "processing_instruction"
    if isinstance(node, etree._Entity):
        return "entity"
    return "xinclude"


def _enforce_shape(root: etree._Element, limits: ParseLimits) -> None:
    checks = _THREAD.shape_checks_for(limits)
    if checks.too_many_elements(root):
        raise XmlTooComplex("elements", limits.max_elements)
    if checks.too_deep(root):
        raise XmlTooDeep(limits.max_depth)
    if checks.too_many_attributes(root):
        raise XmlTooComplex("attributes on one element", limits.max_attributes_per_element)

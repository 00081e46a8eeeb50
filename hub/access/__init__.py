"""Who is calling, and what they may read: shared by the JSON API (``hub.api``) and the
pages (``hub.web``), which import nothing from each other.

Partners authenticate with an API key (``PartnerDep``, or ``PartnerCodeDep`` where the
code is enough); people with a session (``SignedInDep``, ``require_roles``), opened by
``sign_in``. Every read of case data by a person goes through ``reads`` and is audited in
the same transaction, as is a supervisor's curator assignment (``curators``).
"""

from hub.access.attention import (
    CaseVisits,
    add_visit,
    read_attention,
    read_attention_feed,
    read_case_visits,
    read_regions_attention,
    read_unacknowledged_signals,
)
from hub.access.curators import assign_case_curator, curator_choices
from hub.access.partners import (
    PARTNER_SECURITY,
    PartnerCodeDep,
    PartnerDep,
    get_partner,
    get_partner_code,
    presented_api_key,
)
from hub.access.people import (
    PERSON_SECURITY,
    SESSION_COOKIE,
    AccessRefused,
    NewSession,
    SignedIn,
    SignedInDep,
    get_signed_in,
    require_roles,
    sign_in,
    sign_out,
)
from hub.access.reads import (
    MAX_REASON_CHARS,
    MAX_SEARCH_CHARS,
    STATS_ROLES,
    CaseFiltersDep,
    ReasonDep,
    StatsReaderDep,
    csv_response,
    evidence_zip_response,
    find_region,
    read_case,
    read_case_list,
    read_region_stats,
    region_zone,
)
from hub.access.requests import RuntimeDep, client_of, is_api, runtime_of

# Grouped by concept (CONTRIBUTING.md), not alphabetically.
__all__ = [
    # The request
    "RuntimeDep",
    "client_of",
    "is_api",
    "runtime_of",
    # Partners
    "PARTNER_SECURITY",
    "PartnerCodeDep",
    "PartnerDep",
    "get_partner",
    "get_partner_code",
    "presented_api_key",
    # People
    "PERSON_SECURITY",
    "SESSION_COOKIE",
    "AccessRefused",
    "NewSession",
    "SignedIn",
    "SignedInDep",
    "get_signed_in",
    "require_roles",
    "sign_in",
    "sign_out",
    # Audited reads
    "MAX_REASON_CHARS",
    "MAX_SEARCH_CHARS",
    "STATS_ROLES",
    "CaseFiltersDep",
    "ReasonDep",
    "StatsReaderDep",
    "csv_response",
    "evidence_zip_response",
    "find_region",
    "read_case",
    "read_case_list",
    "read_region_stats",
    "region_zone",
    # Audited changes
    "assign_case_curator",
    "curator_choices",
    # «Требует внимания» and visits (audited too)
    "CaseVisits",
    "add_visit",
    "read_attention",
    "read_attention_feed",
    "read_case_visits",
    "read_regions_attention",
    "read_unacknowledged_signals",
]

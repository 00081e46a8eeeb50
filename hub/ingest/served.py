"""The payload check that a referral's family lives in a region the hub serves.

It runs before the ingest transaction, like the other checks of a message's content:
a referral the hub cannot file under a region is refused and recorded, and nothing of
it is stored. There is no default region to fall back on (hub/regions/region.py).
"""

from hub.errors import Rejection
from hub.regions import RegionRules
from schemas import canonical as c

#: How much of the address's <Region> a refusal repeats, in characters.
_REGION_ECHO_CHARS = 100


def check_region_served(payload: c.Payload, regions: RegionRules) -> None:
    """Refuse a referral whose address names a region no region file claims.

    The address's <Region> is required by the schema, so every referral names one; a
    region's other messages find it through their case.

    Raises:
        Rejection: ``referral.region_not_served``, naming the region read and the
            regions served (``region``, ``served_regions`` in the problem document).
    """
    if not isinstance(payload, c.FamilyReferral):
        return
    if regions.find_for_address(payload.address.region) is not None:
        return
    named = payload.address.region[:_REGION_ECHO_CHARS]
    served = ", ".join(regions.served_names())
    raise Rejection(
        "referral.region_not_served",
        f"the family's address is in «{named}»; the hub serves {served}",
        region=named,
        served_regions=served,
    )

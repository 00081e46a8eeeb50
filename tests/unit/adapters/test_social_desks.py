"""The social centre's simulator numbers and names each region's cases as the hub's region
files say: the same regions, address names and case prefixes."""

from adapters.social.simulator import DESKS
from hub.regions import load_regions


def test_each_desk_is_a_region_of_the_hub_with_its_names_and_prefix() -> None:
    regions = load_regions().regions

    assert set(DESKS) == set(regions)
    for code, desk in DESKS.items():
        assert desk.case_prefix == regions[code].case_prefix
        assert set(desk.address_names) == regions[code].address_names


def test_a_desk_serves_its_regions_names_ignoring_case_and_spaces_and_no_other() -> None:
    kaluga = DESKS["kaluga"]

    assert kaluga.serves("  калужская   ОБЛАСТЬ ")
    assert not kaluga.serves("Камчатский край")
    assert not any(desk.serves("Тверская область") for desk in DESKS.values())

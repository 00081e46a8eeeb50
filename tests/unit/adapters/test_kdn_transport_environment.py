"""The commission's SOAP transport reads the proxy settings once, as requests would per call."""

import pytest

from adapters.kdn.transport import KdnTransport

ENDPOINT = "http://kdn.region.example/soap"


def test_a_proxy_in_the_environment_is_used_for_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.region.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    transport = KdnTransport(ENDPOINT, timeout_s=5)
    session = transport._transport.session

    assert session.proxies["http"] == "http://proxy.region.example:3128"
    # Read once: requests no longer consults the environment on each call.
    assert session.trust_env is False
    transport.close()


def test_an_endpoint_under_no_proxy_goes_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.region.example:3128")
    monkeypatch.setenv("NO_PROXY", "kdn.region.example")

    transport = KdnTransport(ENDPOINT, timeout_s=5)

    assert "http" not in transport._transport.session.proxies
    transport.close()


def test_a_ca_bundle_named_in_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/hub/partners-ca.pem")

    transport = KdnTransport("https://kdn.region.example/soap", timeout_s=5)

    assert transport._transport.session.verify == "/etc/hub/partners-ca.pem"
    transport.close()

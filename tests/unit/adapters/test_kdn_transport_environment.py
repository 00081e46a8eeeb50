"""The commission's SOAP transport reads the proxy and CA settings once, as requests would per
call."""

import pytest
import requests.utils
import urllib3

from adapters.kdn.transport import KdnTransport

ENDPOINT = "http://kdn.region.example/soap"


def test_a_proxy_in_the_environment_is_used_for_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.region.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    transport = KdnTransport(ENDPOINT, timeout_s=5)
    pool = transport._pool

    assert isinstance(pool, urllib3.ProxyManager)
    assert pool.proxy is not None
    assert pool.proxy.url == "http://proxy.region.example:3128"
    transport.close()


def test_an_endpoint_under_no_proxy_goes_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.region.example:3128")
    monkeypatch.setenv("NO_PROXY", "kdn.region.example")

    transport = KdnTransport(ENDPOINT, timeout_s=5)

    assert not isinstance(transport._pool, urllib3.ProxyManager)
    transport.close()


def test_a_ca_bundle_named_in_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/hub/partners-ca.pem")

    transport = KdnTransport("https://kdn.region.example/soap", timeout_s=5)

    assert transport._pool.connection_pool_kw["ca_certs"] == "/etc/hub/partners-ca.pem"
    transport.close()


def test_without_a_bundle_named_the_partners_are_checked_against_requests_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    transport = KdnTransport("https://kdn.region.example/soap", timeout_s=5)

    assert transport._pool.connection_pool_kw["ca_certs"] == requests.utils.DEFAULT_CA_BUNDLE_PATH
    transport.close()

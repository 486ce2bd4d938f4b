"""Fakes of the HubSpot and Salesforce APIs on loopback, started by the tests, and connectors
pointed at them whose waits are recorded instead of slept."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from revops.connectors import RetryPolicy, crm
from tests.connectors.fakes.hubspot_api import FakeHubSpot
from tests.connectors.fakes.salesforce_api import FakeSalesforce


@pytest.fixture(scope="session")
def tls(tmp_path_factory) -> tuple[ssl.SSLContext, Path]:
    """A throwaway CA: the server's TLS context with a certificate for 127.0.0.1, and the CA file."""
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return context, bundle


@pytest.fixture
def hubspot_api():
    with FakeHubSpot() as api:
        yield api


@pytest.fixture
def salesforce_api(tls):
    with FakeSalesforce(tls[0]) as api:
        yield api


@pytest.fixture
def hubspot_env(hubspot_api) -> dict[str, str]:
    return {"HUBSPOT_ACCESS_TOKEN": hubspot_api.token, "HUBSPOT_BASE_URL": hubspot_api.url}


@pytest.fixture
def salesforce_env(salesforce_api, tls) -> dict[str, str]:
    return {"SALESFORCE_INSTANCE_URL": salesforce_api.url, "SALESFORCE_ACCESS_TOKEN": salesforce_api.token,
            "SALESFORCE_CA_BUNDLE": str(tls[1])}


@pytest.fixture
def waits() -> list[float]:
    """The seconds each connector was told to wait (rate limits, backoff), in order."""
    return []


@pytest.fixture
def hubspot(hubspot_env, waits):
    return crm("hubspot", hubspot_env, policy=RetryPolicy(sleep=waits.append), searches_per_second=1e9)


@pytest.fixture
def salesforce(salesforce_env, waits):
    return crm("salesforce", salesforce_env, policy=RetryPolicy(sleep=waits.append))

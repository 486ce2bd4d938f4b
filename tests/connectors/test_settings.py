"""Credentials come from the environment; a missing one is named with what to set."""

from __future__ import annotations

import pytest

from revops.connectors import ConnectorError, crm


def test_hubspot_without_a_token_names_the_variable():
    with pytest.raises(ConnectorError, match="HUBSPOT_ACCESS_TOKEN is not set: create a private app"):
        crm("hubspot", {})


def test_hubspot_defaults_to_the_public_api():
    assert crm("hubspot", {"HUBSPOT_ACCESS_TOKEN": "pat-x"}).settings.base_url == "https://api.hubapi.com"


@pytest.mark.parametrize(("env", "named"), [
    ({}, "SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN are not set"),
    ({"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com"}, "SALESFORCE_ACCESS_TOKEN is not set"),
    ({"SALESFORCE_ACCESS_TOKEN": "00D!x"}, "SALESFORCE_INSTANCE_URL is not set"),
    ({"SALESFORCE_USERNAME": "ana@acme.test", "SALESFORCE_PASSWORD": "pw"}, "SALESFORCE_SECURITY_TOKEN not set"),
])
def test_salesforce_names_what_is_missing(env, named):
    with pytest.raises(ConnectorError, match=named):
        crm("salesforce", env)


def test_salesforce_takes_the_api_version_from_the_environment():
    connector = crm("salesforce", {"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
                                   "SALESFORCE_ACCESS_TOKEN": "00D!x", "SALESFORCE_API_VERSION": "61.0"})
    assert connector.sf.base_url == "https://acme.my.salesforce.com/services/data/v61.0/"


def test_an_unknown_crm_is_refused():
    with pytest.raises(ConnectorError, match="unknown CRM 'pipedrive'; connectors: hubspot, salesforce"):
        crm("pipedrive", {})


def test_a_token_never_shows_in_the_settings():
    connector = crm("hubspot", {"HUBSPOT_ACCESS_TOKEN": "pat-secret-123"})
    assert "pat-secret-123" not in repr(connector.settings)

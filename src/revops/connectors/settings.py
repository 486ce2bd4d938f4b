"""Credentials and endpoints of each CRM, read from the environment.

A missing credential is refused at once, naming the variable and what to put in it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, SecretStr

from revops.connectors.errors import ConnectorError

HUBSPOT_API = "https://api.hubapi.com"
SALESFORCE_API_VERSION = "59.0"


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value and value.strip() else None


class HubSpotSettings(BaseModel):
    """A HubSpot private app's access token and where the API is."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    base_url: str = HUBSPOT_API
    ca_bundle: str | None = None
    """A CA file to trust for TLS (a proxy's, a test server's); the system's when None."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HubSpotSettings:
        token = _get(env, "HUBSPOT_ACCESS_TOKEN")
        if token is None:
            raise ConnectorError(
                "HUBSPOT_ACCESS_TOKEN is not set: create a private app in HubSpot (Settings > Integrations > "
                "Private Apps) with the crm.objects.contacts/companies/deals read and write scopes and "
                "crm.objects.owners.read, then export HUBSPOT_ACCESS_TOKEN=pat-... (see docs/connectors.md)")
        return cls(access_token=SecretStr(token), base_url=(_get(env, "HUBSPOT_BASE_URL") or HUBSPOT_API).rstrip("/"),
                   ca_bundle=_get(env, "HUBSPOT_CA_BUNDLE"))


class SalesforceSettings(BaseModel):
    """How to reach a Salesforce org: an instance URL and an access token (session id), or a
    username, password and security token to log in with."""

    model_config = ConfigDict(frozen=True)

    instance_url: str | None = None
    access_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    domain: str = "login"
    """Where a username login goes: login (production), test (sandbox) or a My Domain name."""
    api_version: str = SALESFORCE_API_VERSION
    ca_bundle: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SalesforceSettings:
        common = {"api_version": _get(env, "SALESFORCE_API_VERSION") or SALESFORCE_API_VERSION,
                  "ca_bundle": _get(env, "SALESFORCE_CA_BUNDLE"), "domain": _get(env, "SALESFORCE_DOMAIN") or "login"}
        url, token = _get(env, "SALESFORCE_INSTANCE_URL"), _get(env, "SALESFORCE_ACCESS_TOKEN")
        if url and token:
            return cls(instance_url=url.rstrip("/"), access_token=SecretStr(token), **common)
        login = {name: _get(env, f"SALESFORCE_{name.upper()}") for name in ("username", "password", "security_token")}
        if all(login.values()):
            return cls(username=login["username"], password=SecretStr(login["password"] or ""),
                       security_token=SecretStr(login["security_token"] or ""), **common)
        if url or token:
            missing = "SALESFORCE_ACCESS_TOKEN" if url else "SALESFORCE_INSTANCE_URL"
            raise ConnectorError(
                f"{missing} is not set: Salesforce needs both SALESFORCE_INSTANCE_URL "
                "(https://yourorg.my.salesforce.com) and SALESFORCE_ACCESS_TOKEN (an OAuth access token or session id) "
                "(see docs/connectors.md)")
        given = [f"SALESFORCE_{n.upper()}" for n, v in login.items() if v]
        absent = [f"SALESFORCE_{n.upper()}" for n, v in login.items() if not v]
        if given:
            raise ConnectorError(f"{', '.join(absent)} not set: a Salesforce login needs SALESFORCE_USERNAME, "
                                 "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN (see docs/connectors.md)")
        raise ConnectorError(
            "SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN are not set: export the org's URL "
            "(https://yourorg.my.salesforce.com) and an OAuth access token, or SALESFORCE_USERNAME, "
            "SALESFORCE_PASSWORD and SALESFORCE_SECURITY_TOKEN (see docs/connectors.md)")

"""Accounts as ``GET /v1/accounts`` and ``GET /v1/accounts/{account_id}`` answer them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from revops.api.schemas.records import AccountRecord, OpportunityRecord, Page, SubscriptionRecord

AccountPage = Page[AccountRecord]


class AccountDetail(BaseModel):
    account_id: str
    account: AccountRecord
    open_opportunities: list[OpportunityRecord] = Field(
        description="The account's open deals that the key sees, by close date.")
    subscriptions: list[SubscriptionRecord] = Field(description="Every subscription of the account, by start.")
    revenue: list[dict] | None = Field(None, description=(
        "With ?include=revenue: mrr and arr of the account from the metrics layer (as `revops metrics mrr arr "
        "--where \"account_id = '…'\"`)."))
    health: dict | None = Field(None, description="With ?include=health: the account's row of `revops health`.")

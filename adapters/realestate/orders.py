"""What a registry's orders carry (``details``) and what its answers say (``result``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PropertyDetails(BaseModel):
    """An order about one property, named by its certificate."""

    model_config = ConfigDict(extra="allow")

    certificate: str = Field(min_length=1, max_length=100, title="不动产权证号")


class UnsealDetails(BaseModel):
    """Which seal to lift: the seal's own request, or the property (this court's seal on it)."""

    model_config = ConfigDict(extra="allow")

    seal_request_id: str | None = Field(default=None, max_length=64, title="查封请求")
    certificate: str | None = Field(default=None, max_length=100, title="不动产权证号")


class TransferDetails(PropertyDetails):
    """Title to the buyer after an auction (过户): the ruling confirming the sale is required."""

    ruling: str = Field(min_length=1, max_length=100, title="成交确认裁定书文号")
    buyer_name: str = Field(min_length=1, max_length=100, title="买受人")
    buyer_id: str | None = Field(default=None, max_length=18, title="买受人证件号码")
    tax_request_id: str | None = Field(default=None, max_length=64, title="完税协助请求")


class SealResult(BaseModel):
    """A seal as the registry placed (or renewed) it: a waiting seal has no term yet."""

    model_config = ConfigDict(extra="allow")

    rank: Literal["FIRST", "WAITING"] | None = Field(
        default=None,
        title="查封顺位",
        json_schema_extra={"labels": {"FIRST": "首封", "WAITING": "轮候"}},
    )

    @field_validator("rank", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    expires_on: date | None = Field(default=None, title="查封到期日")
    certificate: str | None = Field(default=None, title="不动产权证号")


class TransferResult(BaseModel):
    model_config = ConfigDict(extra="allow")

    new_owner: str | None = Field(default=None, title="新权利人")
    transferred_on: date | None = Field(default=None, title="过户日期")

"""Schemas shared by every endpoint: problems and pages of a list."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Item = TypeVar("Item")


class Problem(BaseModel):
    """An RFC 9457 problem; `errors` maps fields to messages on validation failures."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


class ListQuery(BaseModel):
    """Paging for every list: `?limit=` (1-200, default 50) and the opaque `?cursor=`."""

    model_config = ConfigDict(extra="allow")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next: str | None

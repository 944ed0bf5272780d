"""One agency instance as listed in ``hub.toml`` (``[[agencies]]``)."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class AgencyConfig(BaseModel):
    """Common keys; adapter-specific keys (``registry`` ...) are kept as extras.

    ``channel = "api"`` agencies get orders pushed to their system;
    ``"console"`` agencies have none and their staff answer in the hub.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    kind: str
    name: str
    base_url: str | None = None
    channel: Literal["api", "console"] = "api"
    jurisdiction: str | None = None  # administrative division code the agency serves
    secret: str | None = None  # dev only; production uses secret_env
    secret_env: str | None = None
    auth: str | None = None  # overrides the adapter's default auth style
    timeout_s: float = 2.0  # one attempt
    deadline_s: float = 6.0  # one capability call, all attempts and pages
    max_attempts: int = 3
    max_concurrency: int = 16
    batch_size: int | None = None  # overrides the adapter's own
    rate_per_s: float | None = None  # orders a second the agency takes (dispatcher pace)
    due_days: dict[str, int] = Field(default_factory=dict)  # per action, overriding defaults

    def shared_secret(self) -> str:
        """The secret for auth and callback signatures ('' when none is set)."""
        if self.secret_env:
            return os.environ.get(self.secret_env, "")
        return self.secret or ""

    def extra(self, key: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(key, default)

"""How instants are shown: Asia/Shanghai, whatever the database kept (UTC)."""

from __future__ import annotations

from hub.clock import SHANGHAI, local

__all__ = ["SHANGHAI", "local"]

"""Adapter for the provincial police system (公安): vehicles, whereabouts, orders."""

from adapters.police.adapter import PoliceAdapter

__all__ = ["PoliceAdapter"]

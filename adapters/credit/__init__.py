"""Adapter for the public credit information centre (信用): credit lists and orders."""

from adapters.credit.adapter import CreditAdapter

__all__ = ["CreditAdapter"]

"""Adapter for the HR and social-insurance system (人社): employment, wage arrears, orders."""

from adapters.hr.adapter import HrAdapter

__all__ = ["HrAdapter"]

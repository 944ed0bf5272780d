"""The real-estate registry adapter kind (``realestate``): XML over HTTP."""

from adapters.realestate.adapter import RealEstateAdapter

__all__ = ["RealEstateAdapter"]

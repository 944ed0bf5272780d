"""The tax bureau adapter kind (``tax``): signed, paginated JSON."""

from adapters.tax.adapter import TaxAdapter

__all__ = ["TaxAdapter"]

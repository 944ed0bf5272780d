"""A securities registrar (证券登记结算) as an agency kind of the linkage hub."""

from hub_securities.adapter import SecuritiesAdapter
from hub_securities.records import SECURITIES, SecuritiesHolding

__all__ = ["SECURITIES", "SecuritiesAdapter", "SecuritiesHolding"]

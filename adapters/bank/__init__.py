"""The commercial bank adapter kind (``bank``): enforcement inquiry by file exchange."""

from adapters.bank.adapter import BankAdapter
from adapters.bank.records import BANK_ACCOUNTS, BankAccount, Freeze

__all__ = ["BANK_ACCOUNTS", "BankAccount", "BankAdapter", "Freeze"]

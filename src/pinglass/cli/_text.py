"""Small text helpers shared by the commands: counts with the right noun, money for people.

Money shown to a person always has four decimals (``$0.0224``): the cheapest catalogued
models cost a fraction of a cent per image, so two decimals would show ``$0.00``. JSON output
and ``report.json`` keep six decimals (README.md, "Money"), so scripts lose nothing.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["money", "plural"]


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 image``, ``2 images``; ``plural_form`` for irregular nouns."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural_form or noun + 's'}"


def money(amount: Decimal | float | int) -> str:
    """USD for display: ``$0.0224`` (always four decimals)."""
    return f"${Decimal(str(amount)):.4f}"

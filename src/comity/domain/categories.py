"""Data categories, aligned with Regulation (EU) 2023/1543 Art. 3(9)-(12) and 18 U.S.C. 2703.

- ``subscriber``: identity, contact, billing, type and duration of service (US: basic subscriber
  information, 18 U.S.C. 2703(c)(2); EU: Art. 3(9)).
- ``identification``: data requested only to identify the user: IP addresses with times and ports
  (EU: Art. 3(10)).
- ``traffic``: other non-content records: addressing headers, login and access logs (Art. 3(11)).
- ``content``: message bodies, attachments, stored files (Art. 3(12); US: 2703(a), (b)).
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    SUBSCRIBER = "subscriber"
    IDENTIFICATION = "identification"
    TRAFFIC = "traffic"
    CONTENT = "content"

    @classmethod
    def parse(cls, value: object) -> Category:
        """The category named by ``value``, or ``ValueError`` naming the valid ones."""
        try:
            return cls(str(value))
        except ValueError:
            valid = ", ".join(c.value for c in cls)
            raise ValueError(
                f"unknown data category {value!r} (expected one of: {valid})"
            ) from None


ALL_CATEGORIES: tuple[Category, ...] = tuple(Category)

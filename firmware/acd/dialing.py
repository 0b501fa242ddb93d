"""Dial-string normalisation (DESIGN.md 2.7, from the Webex desktop's rules).

Only `0-9 + # * :` are kept; everything else (spaces, brackets, letters) is dropped. The kept
string is valid when it holds 3 to 18 digits.
"""

from __future__ import annotations

KEPT = frozenset("0123456789+#*:")
MIN_DIGITS, MAX_DIGITS = 3, 18


class DialError(ValueError):
    """The number has too few or too many digits once normalised."""


def normalise(number: str) -> str:
    """Return the kept characters of `number`, or raise DialError naming the digit count."""
    kept = "".join(ch for ch in number if ch in KEPT)
    digits = sum(ch.isdigit() for ch in kept)
    if not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise DialError(
            f"{number!r} has {digits} digits once normalised to {kept!r}; "
            f"a number needs {MIN_DIGITS} to {MAX_DIGITS}"
        )
    return kept

"""Certificate check codes as people read, type and compare them (plain strings, no database)."""

import hmac

GROUP = 4
# Longer than any code typed with separators, too short to cost anything to clean.
MAX_TYPED_LENGTH = 40


def format_check_code(code: str) -> str:
    """The code in groups of four, to be read aloud or typed: K7Q2-M9XD."""
    return "-".join(code[start : start + GROUP] for start in range(0, len(code), GROUP))


def normalize_check_code(typed: str | None) -> str:
    """The code as stored, from what someone typed: any case, hyphens and spaces ignored."""
    typed = (typed or "")[:MAX_TYPED_LENGTH]
    return "".join(typed.split()).replace("-", "").upper()


def check_code_matches(expected: str, typed: str | None) -> bool:
    """Whether the typed code is the expected one, compared in constant time."""
    return hmac.compare_digest(normalize_check_code(typed).encode(), expected.encode())

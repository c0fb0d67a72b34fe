"""Cells for the spreadsheets and CSV files people download: text stays text."""

# A spreadsheet reads a cell beginning with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as a cell: text a spreadsheet would run as a formula gets a quote first.

    Numbers and dates pass unchanged, so a negative number stays a number. The quote also keeps
    openpyxl from storing text that begins with "=" as a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def unquoted(text: str) -> str:
    """Text read back from one of our files as it was before safe_cell quoted it."""
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text

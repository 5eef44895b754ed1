"""URL converters shared by the web pages and the API."""

from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, UnicodeConverter

# Row ids are PostgreSQL `integer` columns; a larger number in a URL names no row.
ROW_ID_MAX = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`<int:...>` answering 404 outside the range of a row id, before any query runs.
    (Werkzeug's own `max` would make the route not match, and a path that another method's
    rule still matches would then answer 405 instead.)"""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= ROW_ID_MAX:
            raise NotFound()
        return number


class TextConverter(UnicodeConverter):
    """The default `<name>` converter, answering 404 for a NUL character: nothing is named
    with one, and PostgreSQL refuses it in a query."""

    def to_python(self, value: str) -> str:
        if "\x00" in value:
            raise NotFound()
        return value

"""Input hygiene: control characters are refused at the boundary, once.

A NUL byte cannot be stored in PostgreSQL text (the driver fails, and the
caller used to see INTERNAL); other control characters and lone surrogates
make logs, documents and agency messages lie about what was sent. Free text
may hold tabs and line breaks; identifiers, keys and numbers may not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# C0 controls but tab, LF, CR; DEL; C1 controls; lone surrogates (JSON can carry them)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# names of single-line values: ids, keys, numbers, codes, cursors
_IDENTIFIER = re.compile(r"^(id|ids|after|before|cursor)$|(Ids?|[Kk]ey|[Nn]umber|[Cc]ode)$")


def is_identifier(name: str) -> bool:
    return _IDENTIFIER.search(name) is not None


def bad_text(name: str, value: str) -> bool:
    pattern = _CONTROL_OR_BREAK if is_identifier(name) else _CONTROL
    return pattern.search(value) is not None


def find_bad(name: str, value: Any) -> str | None:
    """The name of the first field of ``value`` (any JSON) holding a bad string."""
    for field, text in _strings(name, value):
        if bad_text(field, text):
            return field
    return None


def _strings(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _CONTROL_OR_BREAK.search(key):
                yield name, key  # a key with a control character is bad in any name
            yield from _strings(str(key), item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(name, item)

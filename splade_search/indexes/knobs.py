"""Search-mode options written as text (``NAME=VALUE``), as the command line and the HTTP server take them."""

from __future__ import annotations

import math

from ..errors import InputError

KnobValue = int | float | None


def parse_knobs(pairs: list[str]) -> dict[str, KnobValue]:
    """``NAME=VALUE`` strings as a dict of values (an int, a finite float, or ``none``); `InputError` when malformed."""
    parsed: dict[str, KnobValue] = {}
    for pair in pairs:
        name, sign, text = (part.strip() for part in pair.partition("="))
        if not sign or not name.isidentifier():
            raise InputError(f"knob {pair[:40]!r} is not NAME=VALUE")
        if name in parsed:
            raise InputError(f"knob {name} is given twice")
        parsed[name] = knob_value(name, text)
    return parsed


def knob_value(name: str, text: str) -> KnobValue:
    """The value of knob ``name`` written as ``text``."""
    if text.lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"knob {name}={text[:40]!r}: the value must be an int, a float or none")
    return value

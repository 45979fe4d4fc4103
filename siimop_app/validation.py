"""One way to check what the browser sends: event handler payloads, route parameters and text for the log.

Everything a client sends is untrusted: a forged websocket frame can give any JSON to any event handler, a
forged URL any query string to a route. This module (no Reflex, no database) is used by

* the event middleware (``siimop_app.web_security``), which checks every payload against the handler's type
  annotations *before* the handler runs — a wrong type, a huge value or an unknown argument is refused with a
  French message and nothing changes;
* services, states and routes, through ``parse_int`` (ASCII digits only: ``"²".isdigit()`` is true but
  ``int("²")`` fails) and ``text_of``;
* every log line that carries client input, through ``log_safe`` (no forged lines in the log).
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from siimop_app.domain.errors import UserError

INVALID_INPUT = "Votre demande n'est pas valide : elle n'a pas été prise en compte."
MAX_TEXT = 20_000  # the longest text a form sends (a presentation, observations) is far below
MAX_KEY = 100
MAX_ITEMS = 1_000
MAX_INT = 2**31 - 1  # database integers
MAX_DIGITS = 10
FORM_DATA_ENTRIES_KEY = "__reflex_form_data__"  # reflex_base.utils.form: how a form's fields travel


class InvalidInput(UserError, ValueError):
    """Input of the wrong type, size or range; ``str()`` is a French message for the user."""

    def __init__(self, detail: str, message: str = INVALID_INPUT) -> None:
        super().__init__(message)
        self.detail = detail  # for the log, never shown


# ------------------------------------------------------------------ scalars
def parse_int(value: object, *, lo: int = 0, hi: int = MAX_INT) -> int | None:
    """An integer in [lo, hi] from an int or a string of ASCII digits (optionally with a leading minus); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_DIGITS:
            return None
        number = int(text)
    else:
        return None
    return number if lo <= number <= hi else None


def parse_id(value: object) -> int | None:
    """A row's id from the URL (a page's "[post_id]"), a form or an event: the one reader of ids (``str.isdigit``
    would also pass "²", which ``int`` refuses). None when it is not one."""
    return parse_int(value if isinstance(value, int) else str(value or ""))


def require_id(value: object, refusal: str) -> int:
    """``parse_id``, else a ``UserError`` with ``refusal``, the French message the page shows."""
    found = parse_id(value)
    if found is None:
        raise UserError(refusal)
    return found


def text_of(value: object, *, max_length: int = MAX_TEXT) -> str:
    """A string from the browser, or InvalidInput (a list, a dict or a number where text is expected)."""
    if not isinstance(value, str):
        raise InvalidInput(f"text expected, got {type(value).__name__}")
    if len(value) > max_length:
        raise InvalidInput(f"text of {len(value)} characters (at most {max_length})")
    return value


def log_safe(value: object, limit: int = 500) -> str:
    """Client input as one printable log fragment: control characters escaped, length capped."""
    text = value if isinstance(value, str) else repr(value)
    out = []
    for ch in text[:limit]:
        if ch == "\\":
            out.append("\\\\")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out) + ("…" if len(text) > limit else "")


# ------------------------------------------------------------------ route parameters
ID_PARAMS = frozenset({"region", "subdivision", "specialty", "wave", "round", "post", "student"})
MAX_PARAMS = 30
MAX_PARAM_LENGTH = 200
ALL = "all"  # the one value a page's select sends for "no filter" (Radix selects cannot hold an empty value)
NO_FILTER = frozenset({"", ALL, "tous", "toutes"})  # what a service reads as "no filter", however spelt


def check_query(params: Mapping[str, str]) -> None:
    """A route's query string: few, short, printable parameters; ids as ASCII digits. Else InvalidInput."""
    if len(params) > MAX_PARAMS:
        raise InvalidInput(f"{len(params)} parameters")
    for key, value in params.items():
        if len(key) > MAX_KEY or len(value) > MAX_PARAM_LENGTH or not (key + value).isprintable():
            raise InvalidInput(f"parameter {log_safe(key, 40)}: too long or not printable",
                               f"Paramètre invalide : {log_safe(key, 40)}.")
        if key in ID_PARAMS and value.strip().lower() not in NO_FILTER and parse_int(value, lo=1) is None:
            raise InvalidInput(f"parameter {key}={log_safe(value, 40)}: not an id",
                               f"Paramètre invalide : {key} doit être un numéro.")


class SafeLogFormatter(logging.Formatter):
    """The log's last line of defence: whatever a record carries (a client's text inside an exception, Reflex's
    own warnings quoting event data), a continuation line is indented with ``|`` and other control characters
    are escaped, so nobody can forge a log line or a terminal escape sequence."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        text = "".join(ch if ch == "\n" or ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
                       for ch in text)
        first, *rest = text.split("\n")
        return first + "".join("\n    | " + line for line in rest)


# ------------------------------------------------------- handler payloads
def _check(value: Any, hint: Any, where: str, depth: int = 0) -> None:
    """Raise InvalidInput unless ``value`` (JSON from the browser) fits ``hint``."""
    if depth > 3:
        raise InvalidInput(f"{where}: nested too deep")
    if hint is Any or hint is inspect.Parameter.empty or hint is object:
        _check_json(value, where, depth)
        return
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for option in typing.get_args(hint):
            try:
                _check(value, option, where, depth)
                return
            except InvalidInput as refused:
                errors.append(refused.detail)
        raise InvalidInput("; ".join(errors))
    if hint is type(None):
        if value is not None:
            raise InvalidInput(f"{where}: null expected")
        return
    if hint is bool:
        if not isinstance(value, bool):
            raise InvalidInput(f"{where}: boolean expected, got {type(value).__name__}")
        return
    if hint is int:
        # Reflex turns a digit string into an int for an int argument: accept ASCII digits only.
        if parse_int(value, lo=-MAX_INT, hi=MAX_INT) is None:
            raise InvalidInput(f"{where}: integer expected, got {log_safe(value, 40)}")
        return
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidInput(f"{where}: number expected")
        return
    if hint is str:
        try:
            text_of(value)
        except InvalidInput as refused:
            raise InvalidInput(f"{where}: {refused.detail}") from None
        return
    if hint is dict or origin is dict or hint is Mapping or origin is Mapping:
        if not isinstance(value, dict) or len(value) > MAX_ITEMS:
            raise InvalidInput(f"{where}: object expected")
        if set(value) == {FORM_DATA_ENTRIES_KEY}:  # a form, as Reflex's frontend sends it: [name, value] pairs
            entries = value[FORM_DATA_ENTRIES_KEY]
            if not isinstance(entries, list) or len(entries) > MAX_ITEMS:
                raise InvalidInput(f"{where}: form entries expected")
            for entry in entries:
                if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                        and len(entry[0]) <= MAX_KEY):
                    raise InvalidInput(f"{where}: bad form entry")
                _check(entry[1], str, f"{where}.{log_safe(entry[0], 40)}", depth + 1)
            return
        args = typing.get_args(hint)
        value_hint = args[1] if len(args) == 2 else str  # a bare ``dict`` is form data: text fields only
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > MAX_KEY:
                raise InvalidInput(f"{where}: bad key")
            _check(item, value_hint, f"{where}.{log_safe(key, 40)}", depth + 1)
        return
    if hint is list or origin in (list, tuple, typing.Sequence):
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise InvalidInput(f"{where}: list expected")
        args = typing.get_args(hint)
        for item in value:
            _check(item, args[0] if args else Any, f"{where}[]", depth + 1)
        return
    raise InvalidInput(f"{where}: unsupported argument type {hint!r}")


def _check_json(value: Any, where: str, depth: int) -> None:
    """An unannotated argument: bounded JSON scalars, or shallow lists/objects of them."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise InvalidInput(f"{where}: integer out of range")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"{where}: number expected")
        return
    if isinstance(value, str):
        text_of(value)
        return
    if isinstance(value, (list, dict)):
        _check(value, dict if isinstance(value, dict) else list, where, depth + 1)
        return
    raise InvalidInput(f"{where}: unexpected {type(value).__name__}")


def _is_upload(hint: Any) -> bool:
    """Uploaded files: filled by Reflex's upload route with file objects, never JSON from the socket."""
    return "UploadFile" in repr(hint)


def _check_uploads(value: Any, where: str) -> None:
    if not isinstance(value, list) or len(value) > 10 or not all(
            hasattr(item, "read") and not isinstance(item, (str, bytes, dict, list)) for item in value):
        raise InvalidInput(f"{where}: uploaded files expected")


@functools.lru_cache(maxsize=4096)
def _parameters(fn: Callable) -> tuple[tuple[tuple[inspect.Parameter, Any], ...], frozenset[str]]:
    """``fn``'s parameters (without ``self``) with their resolved type hints, and their names: read once per
    handler, as every event is checked against them (issue 13: resolving the hints was 1-2 % of a worker)."""
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an unresolvable annotation: check shapes only
        hints = {}
    params = tuple((p, hints.get(name, p.annotation)) for name, p in signature.parameters.items() if name != "self")
    return params, frozenset(p.name for p, _ in params)


def check_payload(fn: Callable, payload: Mapping[str, Any]) -> None:
    """Raise InvalidInput unless ``payload`` names exactly ``fn``'s arguments with values of their types."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("payload is not an object")
    params, names = _parameters(fn)
    for key in payload:
        if key not in names:
            raise InvalidInput(f"unknown argument {log_safe(key, 40)}")
    for param, hint in params:
        if param.name not in payload:
            if param.default is inspect.Parameter.empty:
                raise InvalidInput(f"missing argument {param.name}")
            continue
        if _is_upload(hint):
            _check_uploads(payload[param.name], param.name)
            continue
        _check(payload[param.name], hint, param.name)


class UserInputError(UserError, ValueError):
    """A refusal the user can correct in a form. ``fields`` names the form fields at fault, so that the page
    marks them (``aria-invalid``) and ties them to the message; empty when no single field is to blame."""

    def __init__(self, message: str, *, fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.fields = tuple(fields)


def fields_at_fault(error: BaseException) -> list[str]:
    """The form fields an error is about (see ``UserInputError``); none for any other error."""
    return list(getattr(error, "fields", ()))

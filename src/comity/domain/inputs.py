"""The input documents people send, validated once and shared by the API, console, CLI and runner.

Each model here is the one definition of a document (a notice delay, a non-disclosure order, a
court event's envelope): the API publishes it in its OpenAPI schema, the console and the CLI build
the same model from their forms and options, and the services receive it already checked. Every
check gives one sentence naming the field, so a person can fix the input in one pass.

Why the bounds: a naive time stored in a case can never be compared with an aware one again (the
case document could no longer be read, and every list that reads it answered 500); year 1 or 9999
makes every deadline and every "as of" date meaningless; text with NUL bytes or Unicode bidi
controls hides what a reference says from the person reading it (Trojan Source, CVE-2021-42574).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from comity.domain.categories import Category
from comity.errors import InvalidInput

#: The earliest and latest dates a legal document, a data period or a case step may carry: no
#: provider holds electronic records from before 1970, and 2199 leaves room for any real order's
#: end while refusing the year 9999 that made every deadline meaningless.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2199, 12, 31)

#: Explicit bidirectional formatting characters (Unicode UAX #9): they reorder what a reader sees.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Layout characters a multi-line text field may hold; every other control character is refused.
_LAYOUT = frozenset("\t\n\r")

#: How deep and how large a free-form JSON object (a court event's details) may be.
MAX_NESTING = 8
MAX_NODES = 2_000
#: The longest free text a document field may hold (a note, a justification).
MAX_TEXT = 20_000


def text_problem(value: str, *, single_line: bool = False) -> str | None:
    """Why ``value`` may not be stored as text (one clause), or None when it may.

    Refuses NUL and other control characters, lone surrogates and bidi controls; a single-line
    field (a reference, a name) refuses line breaks and tabs too.
    """
    for index, ch in enumerate(value):
        if ch in BIDI_CONTROLS:
            return f"contains the Unicode bidirectional control U+{ord(ch):04X} at position {index}"
        category = unicodedata.category(ch)
        if category == "Cs":
            return f"contains a lone surrogate U+{ord(ch):04X} at position {index}"
        if category == "Cc" and (single_line or ch not in _LAYOUT):
            name = "a NUL byte" if ch == "\0" else f"the control character U+{ord(ch):04X}"
            return f"contains {name} at position {index}"
    return None


def text_problems(doc: object, where: str = "") -> Iterator[str]:
    """Every string (key or value) anywhere in ``doc`` that may not be stored, named by its path.

    Walks with its own stack, in document order, so any depth the JSON parser accepted is
    measured without recursion.
    """
    stack: list[tuple[object, str]] = [(doc, where)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if why := text_problem(value):
                yield f"{path or 'the document'}: {why}"
        elif isinstance(value, dict):
            children: list[tuple[object, str]] = []
            for key, child in value.items():
                if isinstance(key, str) and (why := text_problem(key)):
                    yield f"{path or 'the document'}: a field name {why}"
                    continue
                children.append((child, f"{path}.{key}" if path else str(key)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(child, f"{path}[{i}]") for i, child in enumerate(value)]))


def shape_problem(
    doc: object, field: str, *, depth: int = MAX_NESTING, nodes: int = MAX_NODES
) -> str | None:
    """Why a free-form JSON value is too deep, too large or too long to accept, or None.

    Walks iteratively, so a document nested 20,000 deep is measured without recursion.
    """
    stack: list[tuple[object, int]] = [(doc, 0)]
    seen = 0
    while stack:
        value, level = stack.pop()
        seen += 1
        if seen > nodes:
            return f"{field}: more than {nodes} values; a court event is a few fields"
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return f"{field}: a text of {len(value)} characters; the limit is {MAX_TEXT}"
        if isinstance(value, dict | list):
            if level >= depth:
                return f"{field}: nested more than {depth} levels deep"
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, level + 1) for child in children)
            if isinstance(value, dict):
                stack.extend((key, level + 1) for key in value)
    return None


def _implausible(what: str, value: str) -> PydanticCustomError:
    return PydanticCustomError(
        "implausible",
        "the {what} {value} is implausible: expected one from {earliest} to {latest}",
        {
            "what": what,
            "value": value,
            "earliest": EARLIEST_DAY.isoformat(),
            "latest": LATEST_DAY.isoformat(),
        },
    )


def _plausible_day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise _implausible("date", value.isoformat())
    return value


def _written(value: object) -> object:
    """A date or time arrives written out (ISO 8601), never as a number: Pydantic would read
    ``0`` as 1970-01-01, a date nobody meant (strict about the form, the JSON Schema's
    ``format: date``)."""
    if isinstance(value, int | float):
        raise ValueError("expected a date written as in ISO 8601 (2013-12-04), not a number")
    return value


def in_utc(value: datetime) -> datetime | None:
    """``value`` in UTC, or None when that falls outside what ``datetime`` holds (year 1 at an
    offset east of UTC, year 9999 at one west): such a time is implausible, never a crash."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def _plausible_instant(value: datetime) -> datetime:
    """``value`` in UTC when the date written is 1970 to 2199 (what the published pattern says;
    its UTC date may then fall a day outside, harmlessly)."""
    utc = in_utc(value)
    if utc is None:
        raise _implausible("time", value.isoformat())
    _plausible_day(value.date())
    return utc


def _clean_line(value: str) -> str:
    why = text_problem(value, single_line=True)
    if why:
        raise ValueError(f"the text {why}")
    return value


def _clean_text(value: str) -> str:
    why = text_problem(value)
    if why:
        raise ValueError(f"the text {why}")
    return value


#: The published forms of ``Day`` and ``When``: a valid calendar date from 1970 to 2199 (leap
#: days included, 2100 excluded), and an RFC 3339 time with its offset. The patterns say exactly
#: what the validators accept, so a client (and Schemathesis) never sends a date that the
#: schema allows and the server refuses; ``format`` is left out, since a generator would
#: produce dates of any year and filter them through the pattern.
_YEAR = "(19[7-9][0-9]|2[01][0-9]{2})"
_LEAP_YEAR = "(19(7[26]|8[048]|9[26])|2[01](0[48]|[2468][048]|[13579][26])|2000)"
_MONTH_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    "|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    "|02-(0[1-9]|1[0-9]|2[0-8]))"
)
_DATE = f"({_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_CLOCK = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?"
DAY_PATTERN = f"^{_DATE}$"
WHEN_PATTERN = f"^{_DATE}T{_CLOCK}(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"

#: A date between 1970 and 2199.
Day = Annotated[
    date,
    BeforeValidator(_written),
    AfterValidator(_plausible_day),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DAY_PATTERN,
            "description": "A date, YYYY-MM-DD, from 1970-01-01 to 2199-12-31",
        }
    ),
]
#: A time with a UTC offset (a naive one is refused), between 1970 and 2199, normalised to UTC.
When = Annotated[
    AwareDatetime,
    BeforeValidator(_written),
    AfterValidator(_plausible_instant),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": WHEN_PATTERN,
            "description": "A time with its offset (RFC 3339), e.g. 2026-11-30T00:00:00Z; "
            "its date from 1970-01-01 to 2199-12-31",
        }
    ),
]
#: What ``text_problem`` refuses, as JSON Schema patterns, so a client (and Schemathesis) learns
#: from the published schema what the validator will say: C0 and C1 controls (line breaks and
#: tabs allowed in free text) and bidi controls. Lone surrogates are refused by the validator but
#: left out of the pattern: regex engines disagree on them and generators then drop the pattern.
REFUSED_CHARACTERS = "\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069"
LINE_PATTERN = f"^[^\\u0000-\\u001f{REFUSED_CHARACTERS}]*$"
TEXT_PATTERN = f"^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f{REFUSED_CHARACTERS}]*$"

#: Text and a line with something in them besides white space (a value that is stripped, or
#: checked stripped, before it counts), and an e-mail address as ``accounts`` checks it.
_TEXT_CHAR = f"[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f{REFUSED_CHARACTERS}]"
_LINE_CHAR = f"[^\\u0000-\\u001f{REFUSED_CHARACTERS}]"
_MARK = f"[^\\s\\u0000-\\u001f{REFUSED_CHARACTERS}]"
FILLED_TEXT_PATTERN = f"^{_TEXT_CHAR}*{_MARK}{_TEXT_CHAR}*$"
FILLED_LINE_PATTERN = f"^{_LINE_CHAR}*{_MARK}{_LINE_CHAR}*$"
_EMAIL_PART = f"[^@\\s\\u0000-\\u001f{REFUSED_CHARACTERS}]+"
EMAIL_PATTERN = f"^{_EMAIL_PART}@{_EMAIL_PART}\\.{_EMAIL_PART}$"

#: One line of text: no control or bidi characters.
Line = Annotated[
    str, AfterValidator(_clean_line), Field(json_schema_extra={"pattern": LINE_PATTERN})
]
#: Free text: line breaks and tabs allowed, no other control or bidi characters.
Text = Annotated[
    str, AfterValidator(_clean_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})
]


M = TypeVar("M", bound=BaseModel)


def numbers_up_to(limit: int) -> str:
    """A regular expression (no anchors) for the decimal numbers 0 to ``limit``, leading zeros
    allowed, so a published pattern can say exactly which amounts a bound admits."""
    text = str(limit)
    width = len(text)
    shorter = ["[0-9]"] + [f"[1-9][0-9]{{{n - 1}}}" for n in range(2, width)]
    same_width = []
    for i, digit in enumerate(text):
        low = 1 if i == 0 and width > 1 else 0
        if int(digit) > low:
            rest = f"[0-9]{{{width - i - 1}}}" if width - i - 1 else ""
            same_width.append(f"{text[:i]}[{low}-{int(digit) - 1}]{rest}")
    same_width.append(text)
    choices = (shorter if width > 1 else []) + same_width
    return f"0*({'|'.join(choices)})"


def show(value: object) -> str:
    """A value as a problem sentence quotes it: short, and ``nothing`` for a missing one."""
    if value is None:
        return "nothing"
    if _deeper_than(value, _SHOWN_DEPTH):
        # Checked, not left to repr's RecursionError: Python 3.12 and later print a list nested
        # 5,000 deep where 3.11 gives up, so the sentence would depend on the interpreter.
        return f"a {type(value).__name__} nested too deeply to show"
    try:
        text = repr(value)
    except RecursionError:  # defence in depth: a structure deeper than the interpreter allows
        return f"a {type(value).__name__} nested too deeply to show"
    return text if len(text) <= 60 else text[:57] + "..."


#: How deeply nested a value ``show`` still quotes (a demand's deepest field is a few levels).
_SHOWN_DEPTH = 64


def _deeper_than(value: object, limit: int) -> bool:
    """Whether ``value``'s lists, tuples and dicts nest more than ``limit`` deep; iterative, and
    it looks at no more than a few thousand containers, so any input is answered at once."""
    stack: list[tuple[object, int]] = [(value, 0)]
    seen = 0
    while stack and seen < 10_000:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = (
            item.values()
            if isinstance(item, dict)
            else item
            if isinstance(item, list | tuple)
            else ()
        )
        for child in children:
            if isinstance(child, dict | list | tuple):
                stack.append((child, depth + 1))
        seen += 1
    return False


#: Error types a validator of ours raises, with the sentence it means: kept as they are.
_OWN_ERRORS = ("value_error", "assertion_error", "own")
_PLAUSIBLE = f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"


def expect(what: str, *, items: str = "items", plausible: str = "date") -> WrapValidator:
    """A field's expectation in words: Pydantic's own type and constraint errors on the field
    become ``expected <what>, got <value>``, the sentence a person fixes their document by.

    Errors raised by our own checks keep their sentence; errors inside a list's items or a
    nested object keep theirs (each names its own path). ``items`` names a list's elements in
    ``expected at most N <items>``, ``plausible`` what an implausible value is (a date, a time).
    """

    def validate(value: object, handler: ValidatorFunctionWrapHandler) -> object:
        try:
            return handler(value)
        except ValidationError as exc:
            errors = exc.errors()
            if len(errors) != 1 or errors[0]["loc"]:
                raise
            [error] = errors
            kind = error["type"]
            if kind in _OWN_ERRORS:
                raise
            ctx = error.get("ctx") or {}
            if kind == "implausible":
                message = f"expected a plausible {plausible}, {_PLAUSIBLE}, got {show(value)}"
            elif kind == "string_too_long":
                length = len(value) if isinstance(value, str) else 0
                message = f"expected at most {ctx['max_length']} characters, got {length}"
            elif kind == "too_long" and isinstance(value, list):
                message = f"expected at most {ctx['max_length']} {items}, got {len(value)} {items}"
            else:
                message = f"expected {what}, got {show(value)}"
            raise PydanticCustomError("own", "{message}", {"message": message}) from None

    return WrapValidator(validate)


class InputModel(BaseModel):
    """An input document: unknown fields are refused, nothing is coerced from the wrong type."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: A non-disclosure order is dated or indefinite, never both nor neither, as the published
#: schema says it (shared by the demand's ``non_disclosure`` and a case's order).
NON_DISCLOSURE_ONE_OF: list[JsonValue] = [
    {
        "required": ["until"],
        "properties": {"until": {"type": "string"}, "indefinite": {"const": False}},
    },
    {
        "required": ["indefinite"],
        "properties": {"until": {"type": "null"}, "indefinite": {"const": True}},
    },
]


class NonDisclosureIn(InputModel):
    """A non-disclosure ("gag") order under 18 U.S.C. 2705(b): until a day, or indefinite."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"until": "2027-06-30"}, {"indefinite": True}],
            "oneOf": NON_DISCLOSURE_ONE_OF,
        }
    )

    until: Day | None = None
    indefinite: StrictBool = False

    @model_validator(mode="after")
    def _one_end(self) -> NonDisclosureIn:
        if self.until is not None and self.indefinite:
            raise ValueError(
                "until: an order cannot both end on a day and be indefinite; give one of them"
            )
        if self.until is None and not self.indefinite:
            raise ValueError("until: a non-disclosure order needs an end date or indefinite=true")
        return self


class DelayIn(InputModel):
    """Delayed notice under 18 U.S.C. 2705(a): 90-day periods from ``start`` (US-14)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"start": "2026-11-30T00:00:00Z", "periods": 1}]}
    )

    start: When
    periods: Annotated[int, Field(ge=1, le=40)] = 1


def validation_problems(errors: Sequence[Any]) -> list[str]:
    """Pydantic's (or FastAPI's) errors as one sentence each, naming the field: ``start: ...``.

    A FastAPI location starts with where the value came from: ``("body", "start")`` names
    ``start``, ``("query", "limit")`` names ``query parameter limit``. A model-level check names
    its own field in its message.
    """
    problems = []
    for err in errors:
        raw_loc = [p for p in err.get("loc", ()) if not str(p).startswith("function-")]
        loc = [str(p) for p in raw_loc]
        kind = err.get("type", "")
        if loc and loc[0] == "body":
            raw_loc = raw_loc[1:]
            loc = loc[1:]
            if kind == "json_invalid":
                error = (err.get("ctx") or {}).get("error", "it cannot be parsed")
                problems.append(f"the request body is not valid JSON: {error}")
                continue
        where = field_path(raw_loc)
        if loc and loc[0] in ("query", "path", "header", "cookie"):
            where = f"{loc[0]} parameter {'.'.join(loc[1:])}"
        message = _message(err)
        if not where:
            head = message.split(":", 1)[0]
            problems.append(
                message if head.replace(".", "").isidentifier() else f"the document: {message}"
            )
            continue
        if message.startswith((f"{where}: ", f"{where}[")):  # a check named its field already
            problems.append(message)
            continue
        problems.append(f"{where}: {message}")
    return problems


def field_path(loc: Sequence[object]) -> str:
    """A location as a person writes it: ``targets[0].value``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(err: Any) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "timezone_aware":
        return "needs a time zone offset, e.g. 2026-11-30T00:00:00Z"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    return msg[:1].lower() + msg[1:]


def parse_input(model: type[M], doc: object) -> M:
    """``doc`` as ``model``, or an ``InvalidInput`` with one sentence per problem."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        problems = validation_problems(list(exc.errors()))
        head = problems[0] if len(problems) == 1 else f"{len(problems)} problems: {problems[0]}"
        raise InvalidInput(head, problems=problems) from None


class PeriodIn(InputModel):
    """A narrowed period of data: both days, the start not after the end."""

    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> PeriodIn:
        if self.start > self.end:
            raise ValueError(f"period: the start {self.start} is after the end {self.end}")
        return self


class DecisionIn(InputModel):
    """A reviewer's decision on one finding (``target|category|region``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"finding": "target@example.com|subscriber|us-west", "decision": "produce"},
                {
                    "finding": "target@example.com|content|eu-ie",
                    "decision": "withhold",
                    "justification": "stored only in Dublin; the warrant does not reach it",
                },
            ]
        }
    )

    finding: Annotated[Line, Field(min_length=1, max_length=400)]
    decision: Literal["produce", "withhold", "narrow"]
    period: PeriodIn | None = None
    justification: Annotated[Text, Field(max_length=4000)] | None = None


class ReasonIn(InputModel):
    """Why: a rejection, a redirection, an objection, a resumption, a closing, a release."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "outside the order"}]})

    reason: Annotated[Text, Field(min_length=1, max_length=4000)]


class NoteIn(InputModel):
    note: Annotated[Text, Field(max_length=4000)] | None = None


class HoldIn(InputModel):
    """A preservation hold on an account's categories in one region (18 U.S.C. 2703(f))."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"account": "msn-1", "categories": ["content"], "region": "eu-ie"}]
        }
    )

    account: Annotated[Line, Field(min_length=1, max_length=128)]
    categories: Annotated[list[Category], Field(min_length=1, max_length=4)]
    region: Annotated[Line, Field(min_length=1, max_length=63)]
    basis: Annotated[Line, Field(max_length=32)] = "us.2703f"


def parse_day(text: str, field: str) -> date:
    """A form's or an option's ``YYYY-MM-DD``, 1970 to 2199, or one sentence naming ``field``."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: expected a date as YYYY-MM-DD, got {text!r}") from None
    try:
        return _plausible_day(day)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {exc}") from None

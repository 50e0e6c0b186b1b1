"""The console's typed court event forms: each names only fields the domain's model has, a form
filled in reads back as the document the API takes, and deadlines read in UTC and the zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData

from comity.domain.court_events import CourtEvent, parse_court_event
from comity.entrypoints.web.court_forms import BY_KIND, COMMON, COURT_FORMS, event_from_form
from comity.entrypoints.web.render import utc_and_zone
from comity.errors import InvalidInput

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _models() -> dict[str, type]:
    union = get_args(get_args(CourtEvent)[0])  # Annotated[Union[...], Field(...)]
    found: dict[str, type] = {}
    for model in union:
        for kind in get_args(model.model_fields["kind"].annotation):
            found[kind] = model
    return found


def test_every_kind_the_domain_knows_has_a_form_with_its_fields() -> None:
    models = _models()
    assert set(BY_KIND) == set(models)
    for form in COURT_FORMS:
        model_fields = set(models[form.kind].model_fields)
        for field in form.fields + COMMON:
            assert field.name in model_fields, (form.kind, field.name)
        required = {
            n for n, f in models[form.kind].model_fields.items() if f.is_required() and n != "at"
        } - {"kind"}
        assert required <= {f.name for f in form.fields if f.required}, form.kind


def test_a_filled_form_is_the_document_the_api_takes() -> None:
    form = FormData(
        [
            ("kind", "petition_rehearing"),
            ("petition_id", "p-2"),
            ("by", "government"),
            ("outcome", "denied"),
            ("en_banc", "yes"),
            ("at", "2017-01-24"),
            ("note", "en banc denied 4-4"),
        ]
    )
    doc = event_from_form(form, "petition_rehearing")
    event = parse_court_event({**doc, "kind": "petition_rehearing"}, now=NOW)
    assert event.kind == "petition_rehearing"
    assert event.en_banc is True  # type: ignore[union-attr]
    assert event.at == datetime(2017, 1, 24, tzinfo=UTC)
    assert event.note == "en banc denied 4-4"


def test_an_unknown_scope_category_or_yes_no_is_named() -> None:
    with pytest.raises(InvalidInput, match="scope: unknown data category 'mail'"):
        event_from_form(FormData([("scope_categories", "mail")]), "ruling")
    with pytest.raises(InvalidInput, match="granted: expected yes or no"):
        event_from_form(FormData([("granted", "perhaps")]), "stay")


minutes = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2198, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@given(minutes)
def test_a_datetime_local_value_reads_back_as_that_minute_in_utc(when: datetime) -> None:
    doc = event_from_form(
        FormData([("what", "argument"), ("at", when.strftime("%Y-%m-%dT%H:%M"))]), "proceeding"
    )
    event = parse_court_event({**doc, "kind": "proceeding"}, now=NOW)
    assert event.at == when.replace(tzinfo=UTC)


def _problems(raw: str) -> list[str]:
    """What the form and the model say about ``at`` given as ``raw`` (nothing: accepted)."""
    try:
        doc = event_from_form(FormData([("what", "x"), ("at", raw)]), "proceeding")
        parse_court_event({**doc, "kind": "proceeding"}, now=NOW)
    except InvalidInput as exc:
        return list(exc.problems) or [exc.message]
    return []


@given(st.text(max_size=20))
def test_any_other_time_text_is_one_sentence_naming_at(raw: str) -> None:
    problems = _problems(raw)
    assert all(p.startswith("at") for p in problems), problems


@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2198, 1, 1)),
    st.sampled_from(["America/New_York", "Europe/Dublin", "Asia/Tokyo", "UTC", None]),
)
def test_a_deadline_reads_in_utc_and_in_the_courts_zone(when: datetime, zone: str | None) -> None:
    aware = when.replace(tzinfo=UTC)
    shown = utc_and_zone(aware, zone)
    assert shown.startswith(aware.strftime("%Y-%m-%d %H:%M UTC"))
    if zone in (None, "UTC"):
        assert shown == aware.strftime("%Y-%m-%d %H:%M UTC")
    else:
        assert shown.endswith(f" {zone})")
        local = datetime.strptime(shown.split("(")[1][:16], "%Y-%m-%d %H:%M")
        assert abs((local - when).total_seconds()) <= timedelta(hours=14).total_seconds()
    assert utc_and_zone(aware.isoformat(), zone) == shown

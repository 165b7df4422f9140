"""Passage settings: validation names the flag, JSON round trip, --aggregate parsing."""

from __future__ import annotations

import json

import pytest

from splade_search.errors import InputError
from splade_search.passages import PassageSettings, parse_aggregate


def test_round_trip_through_json():
    settings = PassageSettings(tokens=128, overlap=16, boundary="paragraph", aggregation="sum-top-m", top_m=2)
    assert PassageSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings
    assert PassageSettings.from_dict({}) == PassageSettings()


@pytest.mark.parametrize(
    "fields,flag",
    [
        ({"tokens": 0}, "--passage-tokens"),
        ({"tokens": "256"}, "--passage-tokens"),
        ({"tokens": True}, "--passage-tokens"),
        ({"overlap": -1}, "--passage-stride"),
        ({"tokens": 64, "overlap": 64}, "--passage-stride 64 must be smaller than --passage-tokens 64"),
        ({"boundary": "page"}, "--passage-boundary"),
        ({"aggregation": "mean"}, "--aggregate"),
        ({"top_m": 0}, "--aggregate"),
    ],
)
def test_invalid_settings_name_their_flag(fields, flag):
    with pytest.raises(InputError, match=flag):
        PassageSettings.from_dict(fields)


def test_unknown_keys_and_non_objects_are_refused():
    with pytest.raises(InputError, match="unknown passage settings 'window'"):
        PassageSettings.from_dict({"window": 3})
    with pytest.raises(InputError, match="JSON object"):
        PassageSettings.from_dict([256, 32])


def test_parse_aggregate():
    assert parse_aggregate("max") == ("max", 3)
    assert parse_aggregate("sum-top-5") == ("sum-top-m", 5)
    assert parse_aggregate("sum-top-m", 4) == ("sum-top-m", 4)
    assert PassageSettings().with_aggregate("first").aggregation == "first"
    for bad in ("sum-top-0", "sum", "median"):
        with pytest.raises(InputError, match="--aggregate"):
            parse_aggregate(bad)

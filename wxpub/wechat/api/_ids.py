"""Identifier helpers shared by the API groups."""

from __future__ import annotations

from datetime import date, datetime

ID_FIELDS = ("publish_id", "msg_id", "msg_data_id")


def as_id(value) -> str:
    """A WeChat numeric id (int or digit string) as a string; rejects empty values and bools."""
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        raise ValueError(f"not a WeChat id: {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"not a WeChat id: {value!r}")
        value = int(value)
    return str(value).strip()


def normalise_ids(result: dict) -> dict:
    """``result`` with the id fields WeChat sends as numbers turned into strings (in place)."""
    for name in ID_FIELDS:
        if name in result and result[name] is not None and result[name] != "":
            result[name] = as_id(result[name])
    return result


def as_day(value: date | datetime | str) -> str:
    """``YYYY-MM-DD`` for a date, a datetime or an ISO date string (checked)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value).strip()).isoformat()

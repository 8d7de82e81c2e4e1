"""The reminder policy format: what a campaign may store, and what staff are told when it's wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.reminders import PolicyError, ReminderPolicy, validate_policy


def test_an_empty_policy_means_no_reminders() -> None:
    assert ReminderPolicy.parse({}) is None
    assert ReminderPolicy.parse(None) is None
    assert validate_policy({}) == {}


def test_defaults_are_filled_in() -> None:
    assert validate_policy({"after_days": [2, 5]}) == {
        "after_days": [2, 5],
        "max": 2,
        "hours": [9, 19],
        "timezone": "Europe/Brussels",
    }
    assert validate_policy({"after_days": [1.5], "max": 0})["after_days"] == [1.5]


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"after_days": []}, "reminder_policy.after_days: a list of days"),
        ({"after_days": [5, 2]}, "days must increase"),
        ({"after_days": [0]}, "more than 0 and at most 60 days"),
        ({"after_days": [1, 2, 3, 4, 5, 6]}, "at most 5 reminders"),
        ({"after_days": ["2"]}, "each entry is a number of days"),
        ({"after_days": [2], "max": 3}, "reminder_policy.max: a whole number from 0 to 1"),
        ({"after_days": [2], "hours": [19, 9]}, "reminder_policy.hours"),
        ({"after_days": [2], "hours": [9, 25]}, "reminder_policy.hours"),
        ({"after_days": [2], "timezone": "Mars/Olympus"}, "is not a time zone"),
        ({"after_days": [2], "every": 3}, "unknown field 'every'"),
    ],
)
def test_a_wrong_policy_says_which_field_and_why(policy: dict[str, object], message: str) -> None:
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace(".", r"\.")):
        validate_policy(policy)


def test_hours_are_read_in_the_respondent_zone_or_else_the_policy_zone() -> None:
    policy = ReminderPolicy.parse({"after_days": [2], "hours": [9, 19], "timezone": "Europe/Brussels"})
    assert policy is not None
    noon_utc = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # 14:00 in Brussels, 05:00 in Los Angeles
    assert policy.allows_hour(noon_utc, None)
    assert not policy.allows_hour(noon_utc, "America/Los_Angeles")
    assert policy.allows_hour(noon_utc, "Not/AZone")  # an unknown zone falls back to the policy's
    assert not policy.allows_hour(datetime(2026, 7, 1, 17, 0, tzinfo=UTC), None)  # 19:00 in Brussels


def test_reminders_are_spaced_as_the_days_are() -> None:
    policy = ReminderPolicy.parse({"after_days": [2, 5, 6.5]})
    assert policy is not None
    invited = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.due_at(2, invited) == invited + timedelta(days=5)
    assert (policy.gap_before(1), policy.gap_before(2), policy.gap_before(3)) == (
        timedelta(0),
        timedelta(days=3),
        timedelta(days=1.5),
    )

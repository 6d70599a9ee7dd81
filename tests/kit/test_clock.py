from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tillroll.errors import InvalidInput
from tillroll.kit.clock import add_months, parse_relative, utc_now

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


class TestParseRelative:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("-13 weeks", NOW - timedelta(weeks=13)),
            ("+6 months -5 days +2 minutes", datetime(2026, 7, 26, 12, 2, tzinfo=UTC)),
            ("3 weeks", NOW + timedelta(weeks=3)),  # unsigned counts forward
            ("+1 month", datetime(2026, 2, 28, 12, 0, tzinfo=UTC)),
            ("-1 day", NOW - timedelta(days=1)),
            ("-2 hours +30 minutes", NOW - timedelta(minutes=90)),
            ("-1 Week", NOW - timedelta(weeks=1)),
            ("  -1 day  ", NOW - timedelta(days=1)),
            ("-1day+1day", NOW),
            ("- 13 weeks", NOW - timedelta(weeks=13)),
            ("+0 minutes", NOW),
            ("-12 months", datetime(2025, 1, 31, 12, 0, tzinfo=UTC)),
        ],
    )
    def test_grammar(self, text: str, expected: datetime) -> None:
        assert parse_relative(text, field="f", now=NOW) == expected

    def test_terms_apply_in_order(self) -> None:
        # months clamp first, then days: 31 Jan +1 month = 28 Feb, +1 day = 1 Mar
        assert parse_relative("+1 month +1 day", field="f", now=NOW) == datetime(
            2026, 3, 1, 12, 0, tzinfo=UTC
        )
        assert parse_relative("+1 day +1 month", field="f", now=NOW) == datetime(
            2026, 3, 1, 12, 0, tzinfo=UTC
        )

    def test_defaults_to_now(self) -> None:
        before = utc_now()
        result = parse_relative("-1 day", field="f")
        assert before - timedelta(days=1) <= result <= utc_now() - timedelta(days=1)
        assert result.tzinfo is not None

    @pytest.mark.parametrize(
        "text",
        [
            "", " ", "yesterday", "-13", "weeks", "-13 fortnights", "-13 weeks ago",
            "weeks -13", "--1 day", "-1 day,", "-1.5 days", "-1 seconds", "-1234567 days",
            "-999999 months", "+999999 months", "+999999 weeks", "-999999 days",
        ],
    )  # fmt: skip
    def test_anything_else_is_invalid_input_naming_the_field(self, text: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            parse_relative(text, field="query.issued_from_relative", now=NOW)
        assert [e.loc for e in raised.value.errors] == ["query.issued_from_relative"]


class TestAddMonths:
    @pytest.mark.parametrize(
        ("moment", "months", "expected"),
        [
            (datetime(2026, 1, 31), 1, datetime(2026, 2, 28)),
            (datetime(2024, 1, 31), 1, datetime(2024, 2, 29)),  # leap year
            (datetime(2026, 3, 31), -1, datetime(2026, 2, 28)),
            (datetime(2026, 3, 31), 1, datetime(2026, 4, 30)),
            (datetime(2026, 5, 31), -1, datetime(2026, 4, 30)),
            (datetime(2026, 1, 15), 12, datetime(2027, 1, 15)),
            (datetime(2026, 1, 15), -13, datetime(2024, 12, 15)),
            (datetime(2026, 12, 31), 2, datetime(2027, 2, 28)),
            (datetime(2026, 11, 30), 1, datetime(2026, 12, 30)),
            (datetime(2026, 6, 15), 0, datetime(2026, 6, 15)),
            (datetime(2024, 2, 29), 12, datetime(2025, 2, 28)),
            (datetime(2024, 2, 29), 48, datetime(2028, 2, 29)),
        ],
    )
    def test_clamps_the_day(self, moment: datetime, months: int, expected: datetime) -> None:
        assert add_months(moment, months) == expected

    def test_keeps_time_and_zone(self) -> None:
        moment = datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)
        assert add_months(moment, 1) == datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC)

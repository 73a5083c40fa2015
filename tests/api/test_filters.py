"""GET /v1/accounts refuses a filter out of the book's bounds with 422 and the reason, before Temporal is asked
(the app's client is never reached), and `starter.py list` refuses it too (issue 13, item 6)."""

from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

import starter
from tests.api.conftest import MACHINE_KEYS


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"min_outstanding": "1e200000000"}, "min_outstanding must be an amount from 0 to 1000000000000000"),
        ({"max_outstanding": "1e-999999"}, "with at most 6 decimals"),
        ({"min_days_past_due": "100000000"}, "min_days_past_due must be a number of days from -400 to 36500"),
        ({"max_days_past_due": "-401"}, "max_days_past_due must be a number of days from -400 to 36500"),
        ({"cursor": "A" * 5000}, "at most 4096 characters"),
        ({"page_size": "100000"}, "less than or equal to 1000"),
        ({"stage": "x' OR 'a'='a"}, "invalid stage"),
    ],
)
async def test_a_filter_out_of_bounds_is_a_422_with_the_reason(
    offline_app: FastAPI, params: dict[str, str], reason: str
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=offline_app), base_url="http://test") as http:
        answer = await http.get("/v1/accounts", params=params, headers={"X-API-Key": MACHINE_KEYS["supervisor"]})
    assert answer.status_code == 422 and reason in answer.text


async def test_the_command_line_refuses_it_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code = await starter.main(["list", "--min-dpd", "100000000"], client=cast(Client, object()))
    assert code == starter.EXIT_REJECTED
    assert "rejected: min_days_past_due must be a number of days from -400 to 36500" in capsys.readouterr().err
    code = await starter.main(["list", "--min-outstanding", "abc"], client=cast(Client, object()))
    assert code == 2 and "not an amount: 'abc'" in capsys.readouterr().err  # a usage error, not a traceback

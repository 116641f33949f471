"""unicx.errors.HTTP_STATUS, both ways: the API answers each error class with its status, and
an answer of that status and code reads back as the same class."""

from __future__ import annotations

import orjson
import pytest

from unicx.api.errors import unicx_error_response
from unicx.errors import (
    HTTP_STATUS,
    FieldIssue,
    ShuttingDownError,
    StoreError,
    UnavailableError,
    UnicxError,
    ValidationError,
    error_from_answer,
    status_for,
)


def _make(cls: type[UnicxError]) -> UnicxError:
    if issubclass(cls, ValidationError):
        return cls("bad", issues=[FieldIssue("a.b[0]", "rule", "bad")])
    return cls("boom")


@pytest.mark.parametrize("cls", [cls for cls, _ in HTTP_STATUS], ids=lambda c: c.__name__)
def test_every_class_goes_out_and_comes_back(cls: type[UnicxError]) -> None:
    exc = _make(cls)
    res = unicx_error_response(exc)
    assert res.status_code == status_for(exc) == dict(HTTP_STATUS)[cls]
    body = orjson.loads(res.body)
    issues = [FieldIssue(i["field"], i["rule"], i["message"]) for i in body.get("issues", [])]
    back = error_from_answer(res.status_code, code=body["error"], message=body["message"],
                             issues=issues)  # fmt: skip
    assert type(back) is cls
    assert back.retryable == exc.retryable
    if isinstance(exc, ValidationError):
        assert isinstance(back, ValidationError)
        assert back.issues == exc.issues


def test_unlisted_errors_answer_by_retryable() -> None:
    class Busy(UnicxError):
        code = "busy"
        retryable = True

    assert status_for(Busy("x")) == 503
    assert status_for(UnicxError("x")) == 500
    back = error_from_answer(503, code="busy", message="x")
    assert isinstance(back, UnavailableError) and back.retryable and back.code == "busy"
    assert type(error_from_answer(500, code="whatever", message="x")) is UnicxError


def test_a_retryable_answer_says_when_to_retry() -> None:
    res = unicx_error_response(ShuttingDownError("stopping"))
    assert (res.status_code, res.headers["Retry-After"]) == (503, "1")
    hidden = unicx_error_response(StoreError("SELECT secret", sql="SELECT secret"))
    assert orjson.loads(hidden.body)["message"] == "storage failure"

"""Profile search (GET /v1/profiles/search, unicx.profiles.search) over people sent through the
real ingest API and identity pass: identifiers in any usual spelling, names without diacritics,
paging, roles, erasure and hostile queries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Workspace
from tests.helpers import bearer
from tests.identity.conftest import send
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.profiles.search import exact_values, query_words, search
from unicx.store import Store

PEOPLE = [
    ("u-an", "Nguyễn Văn An", "An.Nguyen@Example.vn", "0912 345 678", "Hà Nội"),
    ("u-anh", "Nguyễn Văn Anh", "anh@example.vn", "+84987654321", "Đà Nẵng"),
    ("u-dung", "Đặng Thị Dung", "dung@example.vn", None, "Huế"),
    ("u-john", "John Smith", "john@example.com", "+6591234567", "Singapore"),
]


def _identify(user_id: str, name: str, email: str, phone: str | None, city: str) -> dict[str, Any]:
    traits: dict[str, Any] = {"name": name, "email": email, "address": {"city": city}}
    if phone is not None:
        traits["phone"] = phone
    return {"type": "identify", "userId": user_id, "anonymousId": f"anon-{user_id}",
            "traits": traits, "messageId": f"m-{user_id}"}  # fmt: skip


@pytest.fixture
def people(client: TestClient, workspace: Workspace) -> TestClient:
    send(client, workspace.write_key, [_identify(*p) for p in PEOPLE])
    return client


def _search(client: TestClient, secret: str, q: str, **params: Any) -> dict[str, Any]:
    res = client.get("/v1/profiles/search", params={"q": q, **params}, headers=bearer(secret))
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


def _names(body: dict[str, Any]) -> list[str]:
    return [h["name"] for h in body["hits"]]


def test_unaccented_name_finds_the_accented_profile(
    people: TestClient, workspace: Workspace
) -> None:
    body = _search(people, workspace.secret_key, "nguyen van an")
    # Exact folded name first, then the longer name that starts with it.
    assert _names(body) == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert body["total"] == 2 and body["has_more"] is False
    hit = body["hits"][0]
    assert hit["email"] == "an.nguyen@example.vn" and hit["phone"] == "+84912345678"
    assert hit["traits"]["city"] == "Hà Nội" and hit["matched"] == "name"
    assert hit["last_seen"] is not None


@pytest.mark.parametrize(
    "q", ["dang thi dung", "ĐẶNG THỊ DUNG", "Dung", "thi dung", "dung dang", "DUNG@example.vn"]
)
def test_đ_folds_to_d_and_words_match_in_any_order(
    people: TestClient, workspace: Workspace, q: str
) -> None:
    assert _names(_search(people, workspace.secret_key, q)) == ["Đặng Thị Dung"]


@pytest.mark.parametrize(
    "q",
    ["0912 345 678", "0912345678", "+84912345678", "84912345678", "0912-345-678",
     "AN.NGUYEN@example.vn", " an.nguyen@example.vn ", "u-an", "anon-u-an", "0912345"],
)  # fmt: skip
def test_any_identifier_in_any_usual_form(people: TestClient, workspace: Workspace, q: str) -> None:
    first = _search(people, workspace.secret_key, q)["hits"][0]
    assert first["name"] == "Nguyễn Văn An"
    # A whole identifier is an exact match; the start of a phone number matches as a word.
    assert first["matched"] == ("name" if q == "0912345" else "identifier")


def test_identifier_match_ranks_first(people: TestClient, workspace: Workspace) -> None:
    hits = _search(people, workspace.secret_key, "anh@example.vn")["hits"]
    assert hits[0]["name"] == "Nguyễn Văn Anh" and hits[0]["matched"] == "identifier"


def test_paging_and_past_the_end(people: TestClient, workspace: Workspace) -> None:
    first = _search(people, workspace.secret_key, "example", limit=2)
    assert first["total"] == 4 and first["has_more"] is True and len(first["hits"]) == 2
    rest = _search(people, workspace.secret_key, "example", limit=2, offset=2)
    assert rest["has_more"] is False
    seen = {h["profile_id"] for h in first["hits"] + rest["hits"]}
    assert len(seen) == 4
    beyond = _search(people, workspace.secret_key, "example", limit=2, offset=10)
    assert beyond["hits"] == [] and beyond["total"] == 4


def test_no_match_and_punctuation_only(people: TestClient, workspace: Workspace) -> None:
    assert _search(people, workspace.secret_key, "zzz nobody")["total"] == 0
    assert _search(people, workspace.secret_key, "%_'\";--")["total"] == 0


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "x" * 201}, {"q": "an", "limit": 0}, {"q": "an", "limit": 101},
     {"q": "an", "offset": -1}, {"q": "an", "offset": 10_001}, {"q": "an", "limit": "many"}],
)  # fmt: skip
def test_bad_parameters_are_4xx(client: TestClient, workspace: Workspace, params: Any) -> None:
    res = client.get("/v1/profiles/search", params=params, headers=bearer(workspace.secret_key))
    assert res.status_code in (400, 422), res.text


def test_roles(people: TestClient, workspace: Workspace) -> None:
    assert people.get("/v1/profiles/search", params={"q": "an"}).status_code == 401
    access: AccessService = people.app.state.ctx.access  # type: ignore[attr-defined]
    for role, status in ((Role.viewer, 403), (Role.analyst, 200)):
        key = access.create_api_key(role.value, role)
        res = people.get("/v1/profiles/search", params={"q": "an"}, headers=bearer(key.secret_key))
        assert res.status_code == status, role  # a viewer sees no personal data


def test_a_profile_id_named_search_still_reads(people: TestClient, workspace: Workspace) -> None:
    res = people.get("/v1/profiles/search", headers=bearer(workspace.secret_key))
    assert res.status_code in (400, 422)  # the search route, asking for q, not a 404 profile


def test_erased_person_is_unfindable(people: TestClient, workspace: Workspace) -> None:
    auth = bearer(workspace.secret_key)
    pid = _search(people, workspace.secret_key, "dung@example.vn")["hits"][0]["profile_id"]
    res = people.delete(f"/v1/profiles/{pid}", headers=auth)
    assert res.status_code == 200, res.text
    assert _search(people, workspace.secret_key, "dang thi dung")["total"] == 0


def test_service_direct(people: TestClient) -> None:
    store: Store = people.app.state.ctx.store  # type: ignore[attr-defined]
    page = search(store, "John", limit=5)
    assert [h.name for h in page.hits] == ["John Smith"]
    assert page.hits[0].phone == "+6591234567" and page.hits[0].traits["city"] == "Singapore"


def test_query_helpers() -> None:
    assert query_words("Nguyễn  Văn-Ân!") == ["nguyen", "van", "an"]
    assert query_words("0912 345 678") == ["0912345678"]
    assert query_words("+84 912") == ["84912"]
    assert "+84912345678" in exact_values("0912 345 678")
    assert "an@x.vn" in exact_values("An@X.vn")

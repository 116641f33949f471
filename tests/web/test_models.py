"""Models and personalization pages: model runs (rejection reasons in words, training), offers
with a template preview for a chosen person in both languages, and recommendation rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import Workspace
from tests.helpers import basic, eventually
from tests.web.conftest import Dashboard, csrf_of
from unicx.auth.models import Role
from unicx.personalize.person import traits_of
from unicx.store import Store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PAGES = ["/models", "/models/offers", "/models/rules"]


def store_of(dashboard: Dashboard) -> Store:
    store: Store = dashboard.client.app.state.ctx.store  # type: ignore[attr-defined]
    return store


def person(
    dashboard: Dashboard, write_key: str, user_id: str, *, consent: bool = True, **traits: object
) -> str:
    """A person made the way a site makes one (an identify with traits and consent), once
    the realtime chain has their traits; their profile id."""
    body = {
        "userId": user_id,
        "traits": traits,
        "context": {"consent": {"personalization": consent}},
    }
    assert (
        dashboard.client.post("/v1/identify", json=body, headers=basic(write_key)).status_code
        == 200
    )
    found: list[str] = []

    def ready() -> bool:
        with store_of(dashboard).session() as s:
            row = s.fetchone(
                "SELECT i.profile_id FROM identities i JOIN consents c USING (profile_id) "
                "WHERE i.id_type = 'user_id' AND i.id_value = ?",
                [user_id],
                step="t",
            )
            found[:] = [str(row[0])] if row else []
            return bool(row) and traits_of(s, found[0], set()).keys() >= traits.keys()

    eventually(ready, f"{user_id}'s profile")
    return found[0]


def offer_form(token: str, **changes: str) -> dict[str, str]:
    return {"csrf_token": token, "name": "Chào mừng", "placement": "homepage_banner",
            "channel": "web", "locale": "vi", "priority": "0", "weight": "1",
            "template": "Chào {{ traits.first_name | default('bạn') }}! {{ traits.credit | vnd }}",
            "description": "", "eligibility": "", **changes}  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_renders_in_both_languages(dashboard: Dashboard, path: str, lang: str) -> None:
    client = dashboard.sign_in(Role.marketer)
    page = client.get(f"{path}?lang={lang}")
    assert page.status_code == 200, page.text
    assert f'<html lang="{lang}">' in page.text
    assert ("Lần huấn luyện" if lang == "vi" else "Model runs") in page.text


def test_the_empty_model_page_teaches_and_a_rejected_run_says_why(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    empty = client.get("/models?lang=en").text
    assert "No model has been trained yet." in empty and "Order Completed" in empty
    token = csrf_of(empty)
    trained = client.post("/models/train", data={"csrf_token": token, "models": "clv"})
    assert trained.status_code == 200, trained.text
    assert "Too little order history: 0 buyers" in trained.text  # the reason in words
    assert "What fixes it" in trained.text
    vietnamese = client.get("/models?lang=vi").text
    assert "Lịch sử đơn hàng quá ít" in vietnamese and "Cách khắc phục" in vietnamese


def test_a_bad_as_of_is_shown_at_its_field(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    token = csrf_of(client.get("/models").text)
    res = client.post(
        "/models/train", data={"csrf_token": token, "models": "clv", "as_of": "2999-01-01"}
    )
    assert res.status_code == 400 and 'id="as_of-error"' in res.text


def test_an_analyst_sees_no_controls_and_forged_writes_are_refused(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.analyst)
    page = client.get("/models").text
    assert "/models/train" not in page
    token = csrf_of(page)
    assert client.post("/models/train", data={"csrf_token": token}).status_code == 403
    assert client.post("/models/offers", data=offer_form(token)).status_code == 403
    assert (
        client.post("/models/offers/preview", data=offer_form(token, profile_id="p1")).status_code
        == 403
    )
    assert client.post("/models/rules", data={"csrf_token": token}).status_code == 403
    # Offers and rules are read with personalize:serve (as GET /v1/offers): not an analyst's.
    assert client.get("/models/offers").status_code == 403
    assert "/models/offers" not in page.split("<main")[1]


def test_posts_without_csrf_token_are_refused(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    form = offer_form("")
    del form["csrf_token"]
    for path in ("/models/train", "/models/offers", "/models/offers/preview", "/models/rules"):
        assert client.post(path, data=form).status_code == 403, path


def test_create_an_offer_and_preview_it_for_a_person_in_both_languages(
    dashboard: Dashboard, workspace: Workspace
) -> None:
    lan = person(dashboard, workspace.write_key, "u-lan", first_name="Lan", credit=1250000)
    client = dashboard.sign_in(Role.marketer)
    token = csrf_of(client.get("/models/offers").text)
    created = client.post("/models/offers", data=offer_form(token))
    assert created.status_code == 303, created.text
    target = created.headers["location"]
    page = client.get(f"{target}&profile_id={lan}&lang=en").text
    assert f"Preview for {lan}" in page
    assert "Chào Lan! 1.250.000 ₫" in page  # Vietnamese formatting
    assert "Chào Lan! ₫1,250,000" in page  # English formatting
    assert "has not consented" not in page
    minh = person(dashboard, workspace.write_key, "u-minh", consent=False, first_name="Minh")
    without = client.get(f"{target}&profile_id={minh}").text
    assert "Chào bạn!" in without and "Minh" not in without and "has not consented" in without


def test_offer_errors_are_shown_at_the_field(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    token = csrf_of(client.get("/models/offers").text)
    bad = client.post("/models/offers", data=offer_form(token, template="{{ traits.x", weight="-1"))
    assert bad.status_code == 400
    assert 'id="o-weight-error"' in bad.text or 'id="o-template-error"' in bad.text


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ 'x' * 100000 }}",
        "{% for i in 'x' * 9999 %}{% for j in 'x' * 9999 %}{{ i }}{% endfor %}{% endfor %}",
        "{{ '%0999999999d' % 1 }}",
    ],
)
def test_a_hostile_template_preview_is_a_clear_error(
    dashboard: Dashboard, workspace: Workspace, template: str
) -> None:
    pid = person(dashboard, workspace.write_key, "u-1")
    client = dashboard.sign_in(Role.marketer)
    token = csrf_of(client.get("/models/offers").text)
    res = client.post("/models/offers/preview",
                      data=offer_form(token, template=template, profile_id=pid))  # fmt: skip
    assert res.status_code == 400, res.text
    assert "Không hiển thị được mẫu" in res.text


def test_retiring_an_offer_needs_its_name(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.admin)
    token = csrf_of(client.get("/models/offers").text)
    target = client.post("/models/offers", data=offer_form(token)).headers["location"]
    offer_id = target.split("offer=")[1].split("&")[0]
    wrong = client.post(
        f"/models/offers/{offer_id}/retire", data={"csrf_token": token, "confirm": "x"}
    )
    assert wrong.status_code == 400
    right = client.post(
        f"/models/offers/{offer_id}/retire", data={"csrf_token": token, "confirm": "Chào mừng"}
    )
    assert right.status_code == 303
    assert "Chào mừng" not in client.get("/models/offers").text.split("<table")[-1]


def test_recommendation_rules_are_saved_and_checked(dashboard: Dashboard) -> None:
    client = dashboard.sign_in(Role.marketer)
    token = csrf_of(client.get("/models/rules").text)
    form = {"csrf_token": token, "exclude_purchased": "on",
            "repurchasable_categories": "tea, coffee", "pinned": "sku-1",
            "category_multipliers": "tea = 1.5\nwhisky = 0", "max_per_category": "3",
            "segment_filters": ""}  # fmt: skip
    assert client.post("/models/rules", data=form).status_code == 303
    page = client.get("/models/rules").text
    assert "tea = 1.5" in page and 'value="tea, coffee"' in page and 'value="3"' in page
    bad = client.post(
        "/models/rules", data={**form, "category_multipliers": "tea = 500", "max_per_category": "0"}
    )
    assert bad.status_code == 400 and "field-error" in bad.text

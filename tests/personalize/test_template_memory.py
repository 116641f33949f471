"""Templates that try to allocate without bound, sent through the real API with the lowest
role that reaches a render (an analyst, through POST /v1/journeys/validate; a marketer for
offers): each is a 400 naming the template, the server's memory stays put, no 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.role_server import RoleServer, role_server
from unicx.auth.models import Role

pytestmark = pytest.mark.slow
BIG = 2_000_000_000


def _doubling(steps: int) -> str:
    # Each {% set %} reads the previous variable, never itself: the static check lets it pass.
    sets = "{% set v0 = 'x' * 10000 %}"
    sets += "".join(f"{{% set v{i} = v{i - 1} ~ v{i - 1} %}}" for i in range(1, steps))
    return sets + f"{{{{ v{steps - 1} | length }}}}"


ATTACKS = {
    "set_doubling": _doubling(26),
    "center": f"{{{{ 'x' | center({BIG}) }}}}",
    "percent_width": f"{{{{ '%0{BIG}d' % 1 }}}}",
    "format_width": f"{{{{ '{{:{BIG}}}'.format(1) }}}}",
    "format_filter": f"{{{{ '%0{BIG}d' | format(1) }}}}",
    "indent": f"{{{{ 'a\\nb' | indent({BIG}) }}}}",
    "ljust": f"{{{{ 'x'.ljust({BIG}) }}}}",
    "bytes_repeat": f"{{{{ 'x'.encode() * {BIG} }}}}",
    "join_of_repeated_list": "{{ (['x' * 10000] * 10000) | join }}",
    "replace": "{{ ('x' * 10000) | replace('x', 'y' * 10000) }}",
    "printing_loops": "{% for i in 'x' * 10000 %}{% for j in 'x' * 10000 %}{{ 'y' * 9000 }}"
    "{% endfor %}{% endfor %}",
    # 10^8 iterations that print nothing; empty ones finished inside the 2 s timer on a quiet
    # machine, so each does a little work (the timer, not the loop bounds, stops it).
    "silent_loops": "{% for i in 'x' * 10000 %}{% for j in 'x' * 10000 %}"
    "{% if i ~ j == 'yy' %}{% endif %}{% endfor %}{% endfor %}",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleServer]:
    with role_server(tmp_path_factory.mktemp("templates") / "ws") as s:
        yield s


def _journey(html: str) -> dict[str, Any]:
    email = {"type": "message", "channel": "email", "next": "done"}
    email["content"] = {"subject": "Chào {{ traits.first_name }}", "html": html}
    nodes = {"email": email, "done": {"type": "exit"}}
    entry = {"type": "event", "event": "Signed Up"}
    return {"definition": {"name": "DoS", "entry": entry, "start": "email", "nodes": nodes}}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_analyst_cannot_make_the_server_allocate(site: RoleServer, name: str) -> None:
    before = site.rss_kib()
    with site.client(Role.analyst) as analyst:
        r = analyst.post("/v1/journeys/validate", json=_journey(ATTACKS[name]))
    assert r.status_code == 400, r.text
    issues = {(i["field"], i["rule"]) for i in r.json()["issues"]}
    field = "nodes.email.content.html"
    assert issues & {(field, "resources"), (field, "too_long")}, issues
    assert site.rss_kib() - before < 100 << 10  # KiB: the attacks ask for gigabytes


def test_valid_templates_still_render(site: RoleServer) -> None:
    with site.client(Role.analyst) as analyst:
        r = analyst.post("/v1/journeys/validate", json=_journey("<p>{{ 'x' | center(20) }}</p>"))
    assert r.status_code == 200, r.text
    offer = {"name": "o", "placement": "home", "channel": "web", "template": ATTACKS["center"]}
    with site.client(Role.marketer) as marketer:
        r = marketer.post("/v1/offers/validate", json=offer)
        assert r.status_code == 400, r.text
        assert r.json()["issues"][0]["rule"] == "resources"
        r = marketer.post("/v1/offers/validate", json={**offer, "template": "Chào {{ locale }}"})
        assert r.status_code == 200, r.text


def test_marketer_cannot_make_a_provider_body_template_allocate(site: RoleServer) -> None:
    # The SMS/push gateway body is a template too, rendered as a sample at save time.
    before = site.rss_kib()
    body = f'{{"to": {{{{ to | center({BIG}) | tojson }}}}}}'
    provider = {"url": "https://sms.example.vn/send", "body_template": body}
    with site.client(Role.marketer) as marketer:
        r = marketer.put("/v1/channels/sms", json={"config": {"provider": provider}})
    assert r.status_code == 400, r.text
    issues = [i for i in r.json()["issues"] if i["field"].endswith("body_template")]
    assert issues and "256 MiB" in issues[0]["message"], r.text
    assert site.rss_kib() - before < 100 << 10

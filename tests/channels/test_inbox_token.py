"""The inbox from a web page needs the person's token (issue 15 §2), against a real server.

Each attack uses the lowest credential that reached it before the fix: the public write key
alone read any profile's inbox and told existing profiles (200) from unknown ones (404);
an analyst's secret key marked messages; a viewer listed write keys.
"""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Workspace
from tests.helpers import ServerProcess, basic, bearer
from tests.profiles.traits_data import event, load
from unicx.auth.models import Role
from unicx.auth.service import AccessService
from unicx.channels.base import ChannelContext, OutboundMessage
from unicx.channels.config import read_config
from unicx.channels.inapp import WebChannel
from unicx.config import load_settings
from unicx.workspace import init_workspace, open_store

pytestmark = pytest.mark.slow
PROFILES = {"p-lan": [("user_id", "lan")], "p-minh": [("user_id", "minh")]}
INBOX = "/v1/profiles/{}/messages"


class Site:
    def __init__(self, ws: Workspace, server: ServerProcess, keys: dict[Role, str]) -> None:
        self.ws, self.server, self.keys = ws, server, keys

    def call(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        res = httpx.request(method, self.server.url + path, headers=headers)
        assert res.status_code < 500, res.text
        return res

    def person(self, user_id: str, token: str | None = None) -> dict[str, str]:
        """What a page sends: the write key, and the token its backend computed."""
        secret = bytes.fromhex(self.secret())
        token = token or hmac.new(secret, user_id.encode(), hashlib.sha256).hexdigest()
        headers = {"X-Unicx-User-Id": user_id, "X-Unicx-User-Token": token}
        return basic(self.ws.write_key) | headers

    def secret(self) -> str:
        res = self.call("GET", "/v1/inbox/person-token-secret", bearer(self.ws.secret_key))
        assert res.status_code == 200, res.text
        return str(res.json()["secret"])


def _prepare(ws: Workspace) -> dict[Role, str]:
    """Profiles, one message each and a key per role, written before the server opens the file."""
    store = open_store(ws.settings)
    try:
        load(store, [event("identify", "2024-06-01 10:00", user_id="lan")], PROFILES)
        ctx = ChannelContext(store=store, settings=ws.settings)
        with store.session() as s:
            config = read_config(s, "web")
        for mid, pid in (("m-lan", "p-lan"), ("m-minh", "p-minh")):
            msg = OutboundMessage(message_id=mid, profile_id=pid, channel="web", address=pid,
                                  content={"title": "Ưu đãi", "body": "Giảm 20%"})  # fmt: skip
            WebChannel(ctx).send(msg, config)
        access = AccessService(store)
        return {role: access.create_api_key(role.value, role).secret_key for role in Role}
    finally:
        store.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    path = tmp_path_factory.mktemp("inbox-token") / "ws"
    settings = load_settings(workspace=path)
    ws = Workspace(path, settings, init_workspace(settings))
    keys = _prepare(ws)
    server = ServerProcess(path, env={"UNICX_JOURNEYS_ENABLED": "false"}).start(timeout=120)
    try:
        yield Site(ws, server, keys)
    finally:
        server.stop()


def test_write_key_alone_reads_nothing_and_reveals_nothing(site: Site) -> None:
    wk = basic(site.ws.write_key)
    answers = set()
    for pid in ("p-lan", "p-nobody"):
        for method, path in (
            ("GET", INBOX.format(pid)),
            ("POST", INBOX.format(pid) + "/m-lan/seen"),
        ):
            res = site.call(method, path, wk)
            assert res.status_code == 401, res.text
            answers.add((res.status_code, res.text))
    assert len(answers) == 1  # the same answer for a known and an unknown profile


def test_token_opens_only_its_own_profile(site: Site) -> None:
    minh = site.person("minh")
    answers = set()
    for pid in ("p-lan", "p-nobody"):  # someone else's profile, and none at all: one answer
        for method, tail in (("GET", ""), ("POST", "/m-lan/clicked")):
            res = site.call(method, INBOX.format(pid) + tail, minh)
            assert res.status_code == 403, res.text
            answers.add(res.text)
    assert len(answers) == 1
    res = site.call("GET", INBOX.format("p-minh"), minh)
    assert res.status_code == 200 and [m["message_id"] for m in res.json()["messages"]] == [
        "m-minh"
    ]
    res = site.call("POST", INBOX.format("p-minh") + "/m-minh/seen", minh)
    assert res.status_code == 200 and res.json()["seen_at"] is not None


@pytest.mark.parametrize(
    "headers",
    [{"X-Unicx-User-Id": "lan"}, {"X-Unicx-User-Token": "0" * 64},
     {"X-Unicx-User-Id": "lan", "X-Unicx-User-Token": "0" * 64},
     {"X-Unicx-User-Id": "lan", "X-Unicx-User-Token": "x" * 5000}],
)  # fmt: skip
def test_forged_or_partial_tokens_refused(site: Site, headers: dict[str, str]) -> None:
    # A token of another workspace's secret, or none: 401 whatever the profile.
    forged = hmac.new(b"guess", b"lan", hashlib.sha256).hexdigest()
    for h in (basic(site.ws.write_key) | headers, site.person("lan", token=forged)):
        for pid in ("p-lan", "p-nobody"):
            assert site.call("GET", INBOX.format(pid), h).status_code == 401
    # A valid token with a revoked or unknown write key is no way in either.
    wrong_key = site.person("lan") | basic("wk_unknown")
    assert site.call("GET", INBOX.format("p-lan"), wrong_key).status_code == 401


def test_analyst_reads_but_cannot_mark(site: Site) -> None:
    analyst = bearer(site.keys[Role.analyst])
    assert site.call("GET", INBOX.format("p-lan"), analyst).status_code == 200
    for action in ("seen", "clicked", "dismissed"):
        res = site.call("POST", INBOX.format("p-lan") + f"/m-lan/{action}", analyst)
        assert res.status_code == 403 and "messages:write" in res.json()["message"]
    page = site.call("GET", INBOX.format("p-lan"), analyst).json()
    assert page["messages"][0]["seen_at"] is None  # nothing was recorded
    marketer = bearer(site.keys[Role.marketer])
    res = site.call("POST", INBOX.format("p-lan") + "/m-lan/seen", marketer)
    assert res.status_code == 200 and res.json()["seen_at"] is not None


def test_viewer_sees_no_write_key_values(site: Site) -> None:
    wk = site.ws.write_key
    viewer = bearer(site.keys[Role.viewer])
    for path in ("/v1/sources", f"/v1/sources/{site.ws.keys.source_id}"):
        res = site.call("GET", path, viewer)
        assert res.status_code == 200 and wk not in res.text and wk[-4:] in res.text
    analyst = site.call("GET", "/v1/sources", bearer(site.keys[Role.analyst]))
    assert wk in analyst.text


def test_secret_only_for_admins(site: Site) -> None:
    secret = site.secret()
    assert len(bytes.fromhex(secret)) == 32
    for role in (Role.viewer, Role.analyst, Role.marketer):
        res = site.call("GET", "/v1/inbox/person-token-secret", bearer(site.keys[role]))
        assert res.status_code == 403 and secret not in res.text
    assert site.call("GET", "/v1/inbox/person-token-secret", site.person("lan")).status_code == 401
    # The CLI prints the same secret (through the running server).
    out = subprocess.run(
        [sys.executable, "-m", "unicx.cli.main", "messaging", "person-token-secret",
         "--workspace", str(site.ws.path)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert out.stdout.strip() == secret


def test_preflight_grants_the_token_headers(site: Site) -> None:
    res = httpx.options(
        site.server.url + INBOX.format("p-lan"),
        headers={"Origin": "https://shop.vn", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization, x-unicx-user-id, "
                 "x-unicx-user-token"},
    )  # fmt: skip
    assert (
        res.status_code == 204
        and "x-unicx-user-token" in res.headers["access-control-allow-headers"]
    )

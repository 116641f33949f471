"""Every string the dashboard shows is in the Vietnamese catalog, and an id means one thing:
the areas' catalogs are merged, so two areas translating one id differently would show one of
them at random places (a context-specific wording needs its own id)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from babel.messages.pofile import read_po

from unicx.web.catalogs import extracted_ids, missing
from unicx.web.i18n import LANGUAGES, LOCALE_DIR, translations


def test_no_vietnamese_string_is_missing() -> None:
    assert len(extracted_ids()) > 300
    assert missing("vi") == []
    assert missing("en") == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_areas_agree_on_each_translation(language: str) -> None:
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as po:
            for message in read_po(po, locale=language):
                if message.id and message.string:
                    seen[str(message.id)][path.stem] = str(message.string)
    disagree = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert disagree == {}


def test_catalogs_translate() -> None:
    assert translations("vi").gettext("Sign in") == "Đăng nhập"
    assert translations("en").gettext("Sign in") == "Sign in"

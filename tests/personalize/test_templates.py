"""The template sandbox (save time and render time), vi/en formatting, missing traits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from unicx.personalize.formatting import format_date, format_number, format_vnd
from unicx.personalize.templates import TemplateRefused, check_template, render

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ traits['__class__'] }}",
    "{{ traits|attr('__class__') }}",
    "{% import 'os' as os %}",
    "{% include 'secret.html' %}",
    "{% extends 'base.html' %}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ namespace() }}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{{ 'x' * 100000000 }}",
    "{{ 2 ** 64 ** 64 ** 64 }}",
    "{% set s = 'ab' %}{% set s = s ~ s %}{{ s }}",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_escapes_are_refused_at_save_time(payload: str) -> None:
    with pytest.raises(TemplateRefused) as err:
        check_template(payload, channel="web", locale="vi")
    assert err.value.issues[0].field == "template"


def test_the_sandbox_blocks_at_render_time_too() -> None:
    # Not checked statically here: render() alone must still not leak or crash.
    leaked = render("{{ traits.__class__ }}{{ traits.get.__globals__ }}", {"traits": {}},
                    channel="web")  # fmt: skip
    assert leaked == ""
    with pytest.raises(TemplateRefused, match="sandbox"):
        render("{{ traits.update({'a': 1}) }}", {"traits": {}}, channel="web")
    with pytest.raises(TemplateRefused, match="sandbox"):
        render("{{ 'x' * 100000000 }}", {}, channel="web")


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateRefused, match="line 3"):
        check_template("Hello\n{{ traits.a }}\n{% if %}", channel="web", locale="vi")


def test_unknown_variable_is_refused() -> None:
    with pytest.raises(TemplateRefused, match="unknown variable 'config'"):
        check_template("{{ config }}", channel="web", locale="vi")


def test_missing_trait_falls_back_and_undefined_renders_empty() -> None:
    src = 'Chào {{ traits.first_name | default("bạn") }}!{{ traits.nope.deeper }}'
    assert render(src, {"traits": {}}, channel="web") == "Chào bạn!"
    assert render(src, {"traits": {"first_name": "An"}}, channel="web") == "Chào An!"


def test_html_channels_escape_and_text_channels_do_not() -> None:
    ctx = {"traits": {"first_name": "<b>An</b>"}}
    assert render("{{ traits.first_name }}", ctx, channel="email") == "&lt;b&gt;An&lt;/b&gt;"
    assert render("{{ traits.first_name }}", ctx, channel="sms") == "<b>An</b>"


def test_vnd_number_and_date_in_vi_and_en() -> None:
    assert format_vnd(1_250_000, "vi") == "1.250.000 ₫"
    assert format_vnd(1_250_000, "en") == "₫1,250,000"
    assert format_vnd("1250000", "vi") == "1.250.000 ₫"
    assert format_number(1234.5, "vi", 1) == "1.234,5"
    assert format_number(1234.5, "en", 1) == "1,234.5"
    moment = datetime(2024, 6, 30, 12, 5, tzinfo=UTC)  # 19:05 in Ho Chi Minh City
    assert format_date(moment, "vi") == "30/06/2024"
    assert format_date(moment, "en") == "Jun 30, 2024"
    assert format_date(moment, "vi", time=True) == "30/06/2024 19:05"
    assert format_date(moment, "en", time=True) == "Jun 30, 2024 7:05 PM"
    assert format_date(datetime(2024, 6, 30, 20, 0, tzinfo=UTC), "vi") == "01/07/2024"
    assert format_date(date(2024, 1, 2), "en") == "Jan 2, 2024"
    assert format_vnd("not a number", "vi") == "not a number"


def test_filters_follow_the_render_locale() -> None:
    src = "{{ traits.revenue | vnd }} · {{ traits.seen | date }}"
    ctx = {"traits": {"revenue": 1250000, "seen": "2024-06-30T12:00:00Z"}}
    assert render(src, {**ctx, "locale": "vi"}, channel="web") == "1.250.000 ₫ · 30/06/2024"
    assert render(src, {**ctx, "locale": "en"}, channel="web") == "₫1,250,000 · Jun 30, 2024"

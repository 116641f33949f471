"""SMS through an HTTP gateway, with GSM-7 / UCS-2 segment counting.

An SMS is 140 bytes. Text that fits the GSM 03.38 alphabet goes as 7-bit septets (160 per
message, 153 per part when concatenated, the rest being the part header); anything else, and
Vietnamese with its ư, ơ, đ and stacked tones is anything else, goes as UCS-2: 70 UTF-16 code
units, 67 per part. Gateways bill per part, so a message over ``max_segments`` is refused
rather than sent as an expensive wall of parts; ``fold_diacritics`` trades the accents for
GSM-7's 160 characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import phonenumbers
from pydantic import BaseModel, Field

from unicx.channels.base import (
    AddressKind,
    ChannelContext,
    OutboundMessage,
    SendResult,
    TerminalSendError,
    register,
)
from unicx.channels.http_provider import ProviderChannelConfig, post
from unicx.identity.normalize import DEFAULT_REGION

# GSM 03.38 default alphabet (the escape 0x1B left out: it is not a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each is the escape plus a septet, so it counts twice.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True, slots=True)
class SmsSegments:
    encoding: Literal["GSM-7", "UCS-2"]
    parts: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)


def _pack(widths: list[int], single: int, part: int) -> int:
    """Parts needed; a character (escape pair, surrogate pair) is never split between parts,
    which is why a count can be one more than ``ceil(units / part)``."""
    total = sum(widths)
    if total <= single:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return parts


def segments(text: str) -> SmsSegments:
    """How ``text`` goes over the air: encoding, number of parts and units counted."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        widths = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SmsSegments("GSM-7", _pack(widths, GSM7_SINGLE, GSM7_PART), sum(widths))
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsSegments("UCS-2", _pack(widths, UCS2_SINGLE, UCS2_PART), sum(widths))


def fold_diacritics(text: str) -> str:
    """Vietnamese (and other Latin) accents removed, case kept: "Đơn hàng" → "Don hang"."""
    # đ/Đ are letters of their own, not d plus a mark, so NFD leaves them alone.
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def to_e164(address: str, region: str = DEFAULT_REGION) -> str:
    """The phone number in E.164 ("0912 345 678" → "+84912345678"); a bad one is a bounce."""
    try:
        number = phonenumbers.parse(address.strip()[:64], region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise TerminalSendError(f"not a valid phone number: {address[:40]!r}", bounce=True)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SmsConfig(ProviderChannelConfig):
    """The SMS gateway and how texts are encoded."""

    sender: str = Field(default="", max_length=20, description="sender id or number")
    max_segments: int = Field(default=6, ge=1, le=20, description="longer texts are refused")
    fold_diacritics: bool = Field(
        default=False,
        description="false: keep Vietnamese accents (UCS-2, 70 chars/part); "
        "true: fold to ASCII to fit GSM-7 (160 chars/part)",
    )
    default_region: str = Field(
        default=DEFAULT_REGION, pattern=r"^[A-Z]{2}$", description="for numbers without +"
    )


@register
class SmsChannel:
    name: ClassVar[str] = "sms"
    address_kind: ClassVar[AddressKind] = "phone"
    config_model: ClassVar[type[BaseModel]] = SmsConfig
    required_parts: ClassVar[tuple[str, ...]] = ("text",)
    optional_parts: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    def prepare(self, message: OutboundMessage, config: SmsConfig) -> tuple[str, str]:
        """(E.164 number, text as it will be sent); refuses what would never go."""
        to = to_e164(message.address, config.default_region)
        # NFC: decomposed input (a base letter plus combining tone marks) doubles UCS-2 units.
        text = unicodedata.normalize("NFC", str(message.content.get("text") or ""))
        if config.fold_diacritics:
            text = fold_diacritics(text)
        if not text.strip():
            raise TerminalSendError("sms text is empty")
        counted = segments(text)
        if counted.parts > config.max_segments:
            raise TerminalSendError(
                f"sms needs {counted.parts} {counted.encoding} parts "
                f"({counted.units} units), over max_segments {config.max_segments}"
            )
        return to, text

    def send(self, message: OutboundMessage, config: BaseModel) -> SendResult:
        assert isinstance(config, SmsConfig)
        to, text = self.prepare(message, config)
        variables: dict[str, Any] = {"to": to, "text": text, "sender": config.sender,
                     "message_id": message.message_id, "title": None, "body": text,
                     "extra": {}}  # fmt: skip
        return post(config.provider, variables, allow=self.ctx.settings.outbound_allow)

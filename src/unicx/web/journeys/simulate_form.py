"""The dry run of a saved journey: a form (audience, start time, horizon, what people do) read
from the URL, so a run can be shared; the answer drawn on the journey's canvas. Nothing is
sent or saved (unicx.journeys.simulate)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from pydantic import ValidationError as PydanticValidationError
from starlette.responses import Response

from unicx.api.deps import Ctx
from unicx.errors import NotFoundError, ValidationError
from unicx.identity.models import ANONYMOUS_ID, EMAIL, PHONE, USER_ID
from unicx.journeys import definition as jd
from unicx.journeys.models import SimulationRequest, SimulationResult
from unicx.journeys.service import JourneyService
from unicx.journeys.simulate import simulate
from unicx.profiles.service import ProfileService
from unicx.store import Store
from unicx.web.i18n import translations
from unicx.web.journeys.graph import Figures, draw
from unicx.web.session import WebUser
from unicx.web.templating import render

FIELDS = ("audience", "people", "profile", "start", "days", "events", "condition_rate", "seed")
EVENT_LINE = re.compile(r"^(?P<name>[^=]{1,200}?)\s*=\s*(?P<rate>[0-9]+(?:[.,][0-9]+)?)\s*%?$")
# The request model's fields → the form's.
FORM_FIELD = {"event_rates": "events", "generated": "people", "definition": "journey",
              "profiles": "profile"}  # fmt: skip
# How a person may be named in the form, tried in this order (the profile id first).
LOOKUPS = (EMAIL, PHONE, USER_ID, ANONYMOUS_ID)


def _(text: str) -> str:
    """Marks a message for extraction; the template translates it."""
    return text


MESSAGES = {
    "audience": _("Between 1 and 100,000 people."),
    "days": _("More than 0 and at most 366 days."),
    "condition_rate": _("A share between 0 and 100 %."),
    "seed": _("A whole number, 0 or more."),
    "start": _("A date and time such as 2026-12-24T09:00."),
    "events": _("One event a line: name = share in % (e.g. Order Completed = 30)."),
    "profile": _("No profile has this e-mail, phone, user id or profile id."),
}


@dataclass
class SimForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def defaults(now: datetime, zone: ZoneInfo) -> dict[str, str]:
    start = now.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    return {"audience": "1000", "people": "generated", "profile": "", "start": start,
            "days": "30", "events": "", "condition_rate": "50", "seed": "7"}  # fmt: skip


Read = tuple[SimulationRequest | None, datetime | None, SimForm]


def find_profile(store: Store, text: str) -> str | None:
    """The profile a person typed: its id, or one of its identifiers."""
    text = text.strip()[:200]
    if not text:
        return None
    profiles = ProfileService(store)
    try:
        profiles.get_head(text)
        return text
    except NotFoundError:
        pass
    for id_type in LOOKUPS:
        try:
            return profiles.lookup(id_type, text).profile_id
        except (NotFoundError, ValidationError):
            continue
    return None


def read(values: dict[str, str], journey: str, zone: ZoneInfo, person: str | None) -> Read:
    """The request the form describes (``person``: the profile the form names, if found), its
    start time, and the form with an error per field."""
    form = SimForm(values)
    rates = _event_rates(values.get("events", ""), form)
    start = _start(values.get("start", ""), zone, form)
    who = values.get("people")
    body: dict[str, Any] = {"journey": journey, "generated": who == "generated",
                            "event_rates": rates}  # fmt: skip
    if who == "profile":
        body["profiles"] = [person] if person else []
        if person is None:
            form.errors["profile"] = MESSAGES["profile"]
    for name, scale in (("audience", 1), ("days", 1), ("condition_rate", 100), ("seed", 1)):
        number = _number(values.get(name, ""))
        if number is None:
            form.errors[name] = MESSAGES[name]
        else:
            body[name] = number / scale if scale != 1 else number
    if form.errors:
        return None, None, form
    try:
        return SimulationRequest.model_validate(body), start, form
    except PydanticValidationError as exc:
        for err in exc.errors(include_url=False):
            name = FORM_FIELD.get(str(err["loc"][0]), str(err["loc"][0]))
            form.errors[name] = MESSAGES.get(name, str(err["msg"]))
        return None, None, form


def _number(text: str) -> float | int | None:
    text = text.strip().replace(",", ".")
    try:
        return int(text) if re.fullmatch(r"[0-9]+", text) else float(text)
    except ValueError:
        return None


def _start(text: str, zone: ZoneInfo, form: SimForm) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=zone)
    except ValueError:
        form.errors["start"] = MESSAGES["start"]
        return None


def _event_rates(text: str, form: SimForm) -> dict[str, float]:
    rates: dict[str, float] = {}
    for line in (raw.strip() for raw in text.splitlines()):
        match = EVENT_LINE.match(line) if line else None
        if line and (match is None or float(match["rate"].replace(",", ".")) > 100):
            form.errors["events"] = MESSAGES["events"]
        elif match:
            rates[match["name"].strip()] = float(match["rate"].replace(",", ".")) / 100
    return rates


def figures(result: SimulationResult) -> Figures:
    return Figures(
        entered=result.people,
        holdout=result.exits.get("holdout", 0),
        outcomes={node: n.outcomes for node, n in result.nodes.items()},
    )


def run(
    ctx: Ctx, journey_id: str, values: dict[str, str]
) -> tuple[SimulationResult | None, SimForm]:
    """The dry run the form asks for, or the form with its errors at their fields."""
    zone = ZoneInfo(ctx.settings.timezone)
    wanted = values["profile"] if values["people"] == "profile" else ""
    req, start, form = read(values, journey_id, zone, find_profile(ctx.store, wanted))
    if req is None or start is None:
        return None, form
    try:
        return simulate(ctx.store, ctx.settings, req, now=start), form
    except ValidationError as exc:
        for issue in exc.issues:
            name = FORM_FIELD.get(issue.field.split(".")[0], issue.field.split(".")[0])
            form.errors[name if name in FIELDS else "journey"] = issue.message
        if not exc.issues:
            form.errors["journey"] = exc.message
        return None, form


def page(request: Request, ctx: Ctx, user: WebUser, ref: str) -> Response:
    journey = JourneyService(ctx.store).get(ref)
    ran = "run" in request.query_params
    values = {k: request.query_params.get(k, "") for k in FIELDS}
    if not ran:
        values = defaults(ctx.clock.now(), ZoneInfo(ctx.settings.timezone))
    result, form = run(ctx, journey.journey_id, values) if ran else (None, SimForm(values))
    # Our own messages in the page's language; the server's other messages as they are.
    catalog = translations(request.state.language)
    form.errors = {k: catalog.gettext(v) for k, v in form.errors.items()}
    defn = jd.parse_definition(journey.definition)
    drawing = draw(defn, figures(result) if result else Figures())
    return render(request, "journeys/simulate.html", user=user, journey=journey, form=form,
                  result=result, drawing=drawing, status=400 if form.errors else 200)  # fmt: skip

"""How `unicx journeys` prints its answers (the JSON the service or the API gives)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from unicx.cli.common import console, echo


def show_saved(data: dict[str, Any], as_json: bool, verb: str) -> None:
    if as_json:
        echo(data)
        return
    console.print(
        f"{verb} {data['name']} ({data['journey_id']}): {data['status']}, "
        f"version {data['latest_version']}",
        highlight=False,
    )
    published = data["published_version"]
    if data["status"] != "archived" and published != data["latest_version"]:
        now = "nobody enters yet" if published is None else f"new entrants get version {published}"
        console.print(f"{now}; publish with: unicx journeys publish {data['journey_id']}")


def node_of(field: str) -> str:
    parts = field.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "nodes" else "-"


def by_count(counts: dict[str, int]) -> str:
    """``a 3, b 1``: most frequent first."""
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def show_simulation(data: dict[str, Any]) -> None:
    table = Table("node", "reached", "outcomes")
    for node, n in data["nodes"].items():
        table.add_row(node, f"{n['reached']:,}", by_count(n["outcomes"]))
    console.print(table)
    console.print(
        f"{data['people']:,} people over {data['days']:g} days: {data['in_progress']:,} still "
        f"in, {data['converted']:,} converted (nothing was sent)",
        highlight=False,
    )
    console.print(f"exits: {by_count(data['exits']) or 'none'}", highlight=False)
    console.print(f"messages: {by_count(data['messages']) or 'none'}", highlight=False)


def show_stats(data: dict[str, Any]) -> None:
    """`unicx journeys stats` as text."""
    console.print(
        f"[bold]{data['name']}[/] ({data['journey_id']}, {data['status']}): "
        f"{data['entered']:,} entered, {data['in_progress']:,} in progress, "
        f"{data['holdout']:,} holdout, {data['converted']:,} converted",
        highlight=False,
    )
    console.print(f"exits: {by_count(data['exits']) or 'none'}", highlight=False)
    if data["nodes"]:
        nodes = Table("node", "visits", "outcomes (people)", "now here")
        for node, n in data["nodes"].items():
            here = str(n.get("now_here", 0))
            nodes.add_row(node, f"{n['visits']:,}", by_count(n["outcomes"]), here)
        console.print(nodes)
    for channel, by_status in data["messages"].items():
        console.print(f"{channel} messages: {by_count(by_status)}", highlight=False)
    if data["engagement"]:
        console.print(f"engagement: {by_count(data['engagement'])}", highlight=False)
    show_goal(data["goal"])
    for st in data["stages"]:
        console.print(
            f"stage {st['stage']}: {st['people']:,} people, {st['converted']:,} converted",
            highlight=False,
        )


def rate_of(group: dict[str, Any]) -> str:
    rate = group["rate"]
    shown = "-" if rate is None else f"{rate:.1%}"
    return f"{group['converted']:,}/{group['people']:,} ({shown})"


def show_goal(goal: dict[str, Any]) -> None:
    console.print(
        f"goal: messaged {rate_of(goal['messaged'])} vs holdout {rate_of(goal['holdout'])}",
        highlight=False,
    )
    uplift = goal["uplift"]
    if uplift is None:
        console.print("uplift: needs people in both groups", highlight=False)
    else:
        low, high = uplift["ci95"]
        verdict = "significant" if uplift["significant"] else "not significant"
        console.print(
            f"uplift: {uplift['difference']:+.1%} (95 % CI {low:+.1%} to {high:+.1%}, {verdict})",
            highlight=False,
        )
    if goal["median_time_to_convert_s"] is not None:
        hours = goal["median_time_to_convert_s"] / 3600
        console.print(f"median time to convert: {hours:.1f} h", highlight=False)

"""The plan-of-action draft: every order it cites is bad in the engine's own data, its counts are the
report's, and the improvements it claims are there in the events."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import parse_event
from sellerpulse.core.poa import causes_of, group_by_cause, plan_of_action
from sellerpulse.core.remedies import ENV_VAR, load_remedies
from sellerpulse.core.snapshot import AccountSnapshot, MetricValue
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, format_instant, parse_instant
from sellerpulse.plugins.mock.accounts import account_specs
from sellerpulse.plugins.mock.generator import Marketplace

NOW = parse_instant("2026-11-20T15:00:00Z")
AT = "2026-11-20T15:00:00Z"


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture(scope="module")
def late_shipping(tmp_path_factory):
    """The seeded ``late-shipping`` mock scenario up to NOW, as a JSON Lines file, and its events."""
    market = Marketplace(
        seed=11,
        start=NOW,
        orders_per_day=60,
        accounts=account_specs(1),
        scenario="late-shipping",
        backfill_days=45,
    )
    events = []
    for event in market.events():
        if event.ts > NOW:
            break
        events.append(event)
    path = tmp_path_factory.mktemp("poa") / "late.jsonl"
    path.write_text("".join(json.dumps(e.to_json()) + "\n" for e in events), encoding="utf-8")
    return path, events


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_late_shipping_plan_cites_only_late_orders_and_the_reports_counts(late_shipping, tmp_path):
    path, events = late_shipping
    out = tmp_path / "plan.md"
    done = cli("poa", "lsr_30d", "--events", str(path), "--at", AT, "--orders", "0", "-o", str(out))
    assert done.returncode == 0, done.stderr
    plan = out.read_text(encoding="utf-8")
    report = cli("report", "--events", str(path), "--at", AT, "--format", "json")
    assert report.returncode == 0, report.stderr
    metric = json.loads(report.stdout)["accounts"]["acme-us"]["metrics"]["lsr_30d"]
    assert metric["status"] == "breach"  # the scenario did its job

    # the plan's counts are the report's
    stands = re.search(r"- Value: \*\*([\d.]+) %\*\* \((\d+) late shipments among (\d+) orders\)", plan)
    assert stands, plan
    assert float(stands[1]) == pytest.approx(metric["value"] * 100, abs=0.005)
    assert (int(stands[2]), int(stands[3])) == (metric["numerator"], metric["denominator"])
    assert f"- Window: {metric['window']['from']} to {metric['window']['to']}" in plan
    groups = {m[1]: int(m[2]) for m in re.finditer(r"^### (.+): (\d+) \(", plan, re.M)}
    assert sum(groups.values()) == metric["numerator"]

    # every cited order is late by the events themselves: shipped after ship_by, or not shipped by then
    cited = re.findall(r"`(AC-\d+)` \((\d{4}-\d\d-\d\d)\)", plan)
    assert len(cited) == metric["numerator"]
    placed = {e.order_id: e for e in events if e.kind == "order_placed"}
    shipped = {e.order_id: e.ts for e in events if e.kind == "order_shipped"}
    lo, hi = date.fromisoformat(metric["window"]["from"]), date.fromisoformat(metric["window"]["to"])
    for order_id, day in cited:
        ship_by = placed[order_id].ship_by
        assert shipped.get(order_id, NOW + 1) > ship_by, order_id
        assert lo <= date.fromisoformat(day) <= hi
        assert format_instant(ship_by)[:10] == day  # UTC account: attributed to the ship-by day

    # and they are exactly the engine's own bad outcomes
    engine = Engine()
    engine.ingest(events)
    bad = engine.bad_outcomes("acme-us", "lsr_30d", NOW)
    assert sorted(order_id for order_id, _ in cited) == sorted(b.order_id for b in bad)
    assert "1. Add at least one day of handling time" in plan


def test_orders_listed_per_cause_are_capped_with_a_count_of_the_rest(late_shipping):
    _, events = late_shipping
    engine = Engine()
    engine.ingest(events)
    snapshot = engine.snapshot(NOW, history_days=30)
    bad = engine.bad_outcomes("acme-us", "lsr_30d", NOW)
    plan = plan_of_action(snapshot.accounts["acme-us"], "lsr_30d", bad, None, NOW, rule="late_shipment",
                          orders_limit=5)  # fmt: skip
    largest = group_by_cause(bad, "late_shipment")[0]
    assert len(largest.items) > 5
    assert f", and {len(largest.items) - 5} more" in plan
    assert "No remedies are written for this metric" in plan


def _events(rows):
    return [parse_event(row) for row in rows]


def message_rows(late_until: int = 10, at: int | None = None):
    """Buyer messages over 20 days: the first ``late_until`` answered after 30 h, later ones within 2 h;
    only what happened by ``at``."""
    rows = []
    start = parse_instant("2026-11-01T10:00:00Z")
    for n in range(20):
        received = start + n * US_PER_DAY
        late = n < late_until
        rows.append({"ts": format_instant(received), "kind": "message_received", "ref": f"M{n}",
                     "order_id": f"O{n}", "account": "shop"})  # fmt: skip
        replied = received + (30 if late else 2) * US_PER_HOUR
        if at is None or replied <= at:
            rows.append(
                {"ts": format_instant(replied), "kind": "message_replied", "ref": f"M{n}", "account": "shop"}
            )
    return rows


def test_corrective_actions_are_read_from_the_data():
    at = parse_instant("2026-11-21T12:00:00Z")
    engine = Engine()
    engine.ingest(_events(message_rows()))
    snapshot = engine.snapshot(at, history_days=30)
    account = snapshot.accounts["shop"]
    bad = engine.bad_outcomes("shop", "crt", at)
    assert len(bad) == 10
    plan = plan_of_action(account, "crt", bad, load_remedies("amazon")["crt"], at, rule="contact_response")
    # the last late reply was on a message of 2026-11-10: quiet since the 11th, up to the window's end
    assert (
        "- Every buyer message received from 2026-11-11 to 2026-11-20 was answered inside 24 hours "
        "(or is still inside its 24 hours): 10 full days without a late reply." in plan
    )
    assert (
        "- 0 late replies in the last 7 full days (2026-11-14 to 2026-11-20) against 4 in the 7 days before."
        in plan
    )
    metric = account.metrics["crt"]
    worst = min(v for v in metric.history if v is not None)
    assert f"Up from {worst * 100:.2f} % on " in plan
    assert f"to {metric.value * 100:.2f} % now." in plan
    assert "(10 late replies among 20 buyer messages)" in plan
    assert "### Replied after 24 hours: 10 (2026-11-01 to 2026-11-10)" in plan


def test_without_improvement_the_plan_says_so():
    at = parse_instant("2026-11-21T12:00:00Z")
    engine = Engine()
    engine.ingest(_events(message_rows(late_until=20, at=at)))  # every reply late, the last one missing
    account = engine.snapshot(at, history_days=30).accounts["shop"]
    plan = plan_of_action(
        account, "crt", engine.bad_outcomes("shop", "crt", at), None, at, rule="contact_response"
    )
    assert "None yet: the data shows no improvement so far." in plan
    assert "### No reply yet, past 24 hours: 1 (2026-11-20)" in plan
    assert "### Replied after 24 hours: 19 (2026-11-01 to 2026-11-19)" in plan


def test_causes_follow_the_engines_reason_texts():
    assert causes_of("negative feedback (1 star); A-to-z claim C1 (open)") == [
        "negative_feedback",
        "a_to_z_claim",
    ]
    assert causes_of("not shipped; ship-by date passed") == ["not_shipped"]
    assert causes_of("shipped 2 d 3 h after ship-by") == ["shipped_late"]
    assert causes_of("shipped without tracking") == ["no_tracking"]
    assert causes_of("refunded") == ["refunded"]
    assert causes_of("chargeback CB7; refunded") == ["chargeback", "refunded"]
    assert causes_of("something new") == ["other"]
    assert causes_of("bad outcome", "feedback_score") == ["feedback_below_4"]


def test_an_order_with_two_defects_is_in_both_groups_and_hostile_ids_stay_inert():
    hostile = "X`<b>\x1b[2J\nEVIL"
    rows = [
        {"ts": "2026-11-01T10:00:00Z", "kind": "order_placed", "order_id": hostile, "account": "s"},
        {"ts": "2026-11-01T10:00:00Z", "kind": "order_placed", "order_id": "FINE", "account": "s"},
        {
            "ts": "2026-11-05T10:00:00Z",
            "kind": "feedback",
            "order_id": hostile,
            "rating": "1",
            "account": "s",
        },
        {
            "ts": "2026-11-06T10:00:00Z",
            "kind": "claim_opened",
            "order_id": hostile,
            "ref": "C1",
            "account": "s",
        },
    ]
    at = parse_instant("2026-11-10T00:00:00Z")
    engine = Engine()
    engine.ingest(_events(rows))
    account = engine.snapshot(at).accounts["s"]
    bad = engine.bad_outcomes("s", "odr_recent", at)
    plan = plan_of_action(
        account, "odr_recent", bad, load_remedies("amazon")["odr_recent"], at, rule="defect"
    )
    assert "(1 defect among 2 orders)" in plan
    assert "### Negative feedback: 1 (2026-11-01)" in plan
    assert "### A-to-z claims: 1 (2026-11-01)" in plan
    assert "\x1b" not in plan and "`X?<b>?[2J?EVIL`" in plan
    assert "- Over the target by 1 defect at today's volume" in plan


def test_weekly_metric_plan_and_cli_errors(late_shipping, tmp_path):
    path, _ = late_shipping
    done = cli("poa", "first_contact_resolution", "--events", str(path), "--at", AT)
    assert done.returncode == 0, done.stderr
    assert "## Weekly figures" in done.stdout
    assert len(re.findall(r"^\| 20\d\d-\d\d-\d\d to 20\d\d-\d\d-\d\d", done.stdout, re.M)) == 9
    assert "(so far)" in done.stdout and "1. Give the full answer in the first reply" in done.stdout
    wrong = cli("poa", "lsr_99d", "--events", str(path), "--at", AT)
    assert wrong.returncode == 64
    assert "no metric 'lsr_99d' in profile amazon (known: a_to_z_rate," in wrong.stderr
    nobody = cli("poa", "odr", "--events", str(path), "--at", AT, "--account", "zeta")
    assert nobody.returncode == 64 and "no account 'zeta' in the events read (acme-us)" in nobody.stderr


def _account_with(metric: MetricValue) -> AccountSnapshot:
    return AccountSnapshot("s", "amazon", "UTC", metric.window_to, {metric.id: metric}, {})


def test_only_a_real_recovery_counts_as_a_corrective_action():
    day = date(2026, 11, 20).toordinal()
    base = {"id": "crt", "name": "Contact Response Time", "numerator": 990, "denominator": 1000, "target": "0.90",
            "warn": "0.95", "direction": "above", "status": "ok", "headroom": 89, "window_from": day - 29,
            "window_to": day, "bad_noun": "late reply"}  # fmt: skip
    at = parse_instant("2026-11-20T12:00:00Z")
    slight = MetricValue(value=0.9935, history=(0.9933, 0.9934), **base)
    plan = plan_of_action(_account_with(slight), "crt", [], None, at, rule="contact_response")
    assert "Up from" not in plan and "None yet" in plan
    real = MetricValue(value=0.99, history=(0.95, 0.93, 0.97), **base)
    plan = plan_of_action(_account_with(real), "crt", [], None, at, rule="contact_response")
    assert "- Up from 93.00 % on 2026-11-18 (the worst of the last 4 days) to 99.00 % now." in plan


def test_a_draft_that_cannot_be_written_leaves_the_earlier_one_whole(late_shipping, tmp_path):
    """``poa -o`` on a full disk: a clear error, and the draft already there is not truncated (the new
    one is written beside it and renamed over it). A full disk for real: a small tmpfs, as root."""
    import os
    import shutil

    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full disk is made with a tmpfs mount, which needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        earlier = disk / "plan.md"
        earlier.write_text("# my reviewed draft\n", encoding="utf-8")
        with (disk / "filler").open("wb", buffering=0) as filler:  # fill the rest of the disk
            try:
                while True:
                    filler.write(b"x" * 4096)
            except OSError:
                pass
        path, _ = late_shipping
        done = cli("poa", "lsr_30d", "--events", str(path), "--at", AT, "--orders", "0", "-o", str(earlier))
        assert done.returncode == 64
        assert "No space left on device" in done.stderr
        assert earlier.read_text(encoding="utf-8") == "# my reviewed draft\n"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "plan.md"]  # no temporary left behind
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_one_day_quiet_stretch_is_said_as_one_day():
    at = parse_instant("2026-11-21T12:00:00Z")
    engine = Engine()
    engine.ingest(_events(message_rows(late_until=19)))  # the last late reply: the message of the 19th
    account = engine.snapshot(at, history_days=30).accounts["shop"]
    bad = engine.bad_outcomes("shop", "crt", at)
    plan = plan_of_action(account, "crt", bad, load_remedies("amazon")["crt"], at, rule="contact_response")
    assert (
        "- Every buyer message received on 2026-11-20 was answered inside 24 hours (or is still inside its "
        "24 hours): 1 full day without a late reply." in plan
    )
    assert "from 2026-11-20 to 2026-11-20" not in plan

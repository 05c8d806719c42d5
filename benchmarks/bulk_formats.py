"""Which columnar library builds the engine's per-order state fastest from an event file (issue 14, step 1).

    python benchmarks/bulk_formats.py                  # the engine benchmark's 1,000,000-order file
    python benchmarks/bulk_formats.py --orders 20000 --engine

Each contender reads the canonical CSV, keeps the first row of every event id (exact dedup) and reduces
each order to what the engine keeps of it: the earliest placement, the first shipment (and whether it
was tracked), the first delivery, the first cancellation, the latest feedback by (ts, rating). Printed:
seconds, microseconds per event and the share of a bare ``csv.reader`` pass over the same file; with
``--engine``, today's ``read_event_file -> Engine.ingest`` too (about 70 s at full size). A library that
is not installed is reported as such. Asserts nothing: the figures are for people (issue 14's note).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from engine import bare_csv, generate, ingest  # the engine benchmark's file, floor and ingest

_DUCKDB_SQL = """
WITH raw AS (
    SELECT *, row_number() OVER () AS pos
    FROM read_csv(?, header = true, all_varchar = true, null_padding = true)
), firsts AS (
    SELECT * FROM raw QUALIFY pos = min(pos) OVER (PARTITION BY event_id)
), typed AS (
    SELECT order_id, kind, tracking, TRY_CAST(rating AS INTEGER) AS rating,
           epoch_us(CAST(ts AS TIMESTAMPTZ)) AS us
    FROM firsts
)
SELECT order_id,
       min(us) FILTER (WHERE kind = 'order_placed') AS placed,
       min(us) FILTER (WHERE kind = 'order_shipped') AS shipped,
       arg_min(tracking <> '', us) FILTER (WHERE kind = 'order_shipped') AS tracked,
       min(us) FILTER (WHERE kind = 'order_delivered') AS delivered,
       min(us) FILTER (WHERE kind = 'order_cancelled') AS cancelled,
       arg_max(rating, (us, rating)) FILTER (WHERE kind = 'feedback') AS rating
FROM typed GROUP BY order_id
"""


def with_duckdb(path: Path) -> int:
    import duckdb

    con = duckdb.connect()
    return len(con.execute(_DUCKDB_SQL, [str(path)]).fetchall())


def with_polars(path: Path) -> int:
    import polars as pl

    frame = (
        pl.scan_csv(path, infer_schema=False)
        .with_row_index("pos")
        .unique("event_id", keep="first", maintain_order=True)
        .with_columns(
            us=pl.col("ts").str.to_datetime(time_unit="us", time_zone="UTC").dt.epoch("us"),
            rating=pl.col("rating").cast(pl.Int64, strict=False),
        )
    )

    def first(kind: str) -> pl.Expr:
        return pl.col("us").filter(pl.col("kind") == kind).min()

    feedback = pl.col("kind") == "feedback"
    shipped = pl.col("kind") == "order_shipped"
    out = (
        frame.group_by("order_id")
        .agg(
            placed=first("order_placed"),
            shipped=first("order_shipped"),
            tracked=(pl.col("tracking") != "").filter(shipped).sort_by(pl.col("us").filter(shipped)).first(),
            delivered=first("order_delivered"),
            cancelled=first("order_cancelled"),
            rating=pl.col("rating")
            .filter(feedback)
            .sort_by(pl.col("us").filter(feedback), pl.col("rating").filter(feedback))
            .last(),
        )
        .collect()
    )
    return out.height


def with_pyarrow(path: Path) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    columns = ["ts", "kind", "order_id", "event_id", "tracking", "rating"]
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            include_columns=columns, column_types={name: pa.string() for name in columns}
        ),
    )
    table = table.append_column("pos", pa.array(range(len(table)), pa.int64()))
    keep = table.group_by("event_id", use_threads=False).aggregate([("pos", "min")])["pos_min"]
    table = table.take(pc.sort_indices(keep))
    us = pc.cast(pc.strptime(table["ts"], "%Y-%m-%dT%H:%M:%SZ", "us", error_is_null=True), pa.int64())
    table = table.append_column("us", us)
    out = None
    for kind, name in (("order_placed", "placed"), ("order_shipped", "shipped"),
                       ("order_delivered", "delivered"), ("order_cancelled", "cancelled")):  # fmt: skip
        part = table.filter(pc.equal(table["kind"], kind)).group_by("order_id").aggregate([("us", "min")])
        part = part.rename_columns(["order_id", name])
        out = part if out is None else out.join(part, "order_id", join_type="full outer")
    feedback = table.filter(pc.equal(table["kind"], "feedback"))
    feedback = feedback.append_column("r", pc.cast(feedback["rating"], pa.int64()))
    latest = feedback.group_by("order_id").aggregate([("us", "max")])
    assert out is not None
    return len(out.join(latest, "order_id", join_type="left outer"))


CONTENDERS: dict[str, Callable[[Path], int]] = {
    "duckdb": with_duckdb,
    "polars": with_polars,
    "pyarrow": with_pyarrow,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--engine", action="store_true", help="also time today's engine ingest")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    path = args.data / f"engine-{args.orders}.csv"
    if not path.exists():
        generate(path, args.orders)
    with path.open() as handle:
        rows = sum(1 for _ in handle) - 1
    floor = bare_csv(path)
    print(f"orders={args.orders:,} events={rows:,}")
    print(f"  bare csv.reader    {floor:8.2f} s  {floor / rows * 1e6:6.2f} us/event")
    for name, build in CONTENDERS.items():
        try:
            start = time.perf_counter()
            orders = build(path)
        except ImportError:
            print(f"  {name:<18} not installed")
            continue
        seconds = time.perf_counter() - start
        print(f"  {name:<18} {seconds:8.2f} s  {seconds / rows * 1e6:6.2f} us/event "
              f"= {floor / seconds:5.0%} of bare csv ({orders:,} orders)")  # fmt: skip
    if args.engine:
        _, seconds, _ = ingest(path)
        print(
            f"  engine ingest      {seconds:8.2f} s  {seconds / rows * 1e6:6.2f} us/event = {floor / seconds:5.0%} of bare csv"
        )


if __name__ == "__main__":
    main()

"""The engine layer: events, profiles, windowed metrics, snapshots. Never imports textual, rich or httpx."""

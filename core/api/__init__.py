"""The HTTP API of ``sellerpulse serve``, without the HTTP: its wire format, live stream, Prometheus
collector, action token and serve file. Pure Python like the rest of ``core`` (the server itself is
``sellerpulse.tui.server``), so an attached view and the server share one definition of each."""

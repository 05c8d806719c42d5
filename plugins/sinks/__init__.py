"""The built-in alert sinks: terminal feed, JSON Lines log, webhook, command, email.

They register through the same ``register_sinks`` hook a third-party sink uses (see
``sellerpulse.plugins.builtin``) and implement :class:`sellerpulse.core.alerts.sink.Sink`.
"""

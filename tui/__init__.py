"""The terminal layer: the Textual dashboard and the ``sellerpulse`` command line."""

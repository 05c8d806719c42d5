"""Dashboard widgets: one concept per module."""

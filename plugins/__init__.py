"""Built-in plugins: sources and alert sinks, registered through the same hooks as third-party ones."""

"""The mock marketplace: a seeded simulation of seller accounts, as a source (``type = "mock"``)."""

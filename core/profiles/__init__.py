"""Marketplace profiles shipped as data (one TOML file each)."""

"""Helpers and pytest fixtures for testing source plugins, built-in or third-party.

In a plugin's test suite, either import the helpers::

    from sellerpulse.plugins.testing import make_source, read_source, check_source_contract

or load the fixtures with ``pytest_plugins = ["sellerpulse.plugins.testing"]`` in ``conftest.py``:

- ``no_installed_plugins``: sets ``SELLERPULSE_LOAD_PLUGINS=""`` so the plugins installed on the
  developer's machine stay out of the test run;
- ``plugins``: a fresh :class:`~sellerpulse.core.plugins.Plugins` with the built-ins only.

Everything here drives the real runtime and engine: a plugin tested with these helpers behaves the
same way under ``sellerpulse report`` and the dashboard.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from sellerpulse.core.options import Option, validate_options
from sellerpulse.core.plugins import LOAD_ENV, Plugins, get_plugin_manager, load_plugins
from sellerpulse.core.sources import Batch, Source


def make_source(
    cls: type[Source], options: Mapping[str, Any] | None = None, name: str | None = None
) -> Source:
    """An instance built the way the runtime builds it: options validated, defaults filled in."""
    values = validate_options(cls.options, dict(options or {}), f"source {name or cls.type_name!r}")
    return cls(name or cls.type_name, values)


async def collect(
    source: Source,
    follow: bool = False,
    until: Callable[[Batch], bool] | None = None,
    timeout: float = 10.0,
) -> Batch:
    """Every batch of ``source`` merged into one. Following, stop as soon as ``until(merged)`` is true
    (raises ``TimeoutError`` after ``timeout`` seconds). The source is recorded as the runtime would."""
    merged = Batch()
    stream = source.batches(follow)
    try:
        async with asyncio.timeout(timeout):
            async for batch in stream:
                merged.events.extend(batch.events)
                merged.rejections.extend(batch.rejections)
                merged.account_health.extend(batch.account_health)
                source.record_batch(batch, 0)
                if until is not None and until(merged):
                    break
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    return merged


def read_source(source: Source, timeout: float = 60.0) -> Batch:
    """Read a source once to its end (``follow=False``), synchronously."""
    return asyncio.run(collect(source, follow=False, timeout=timeout))


@contextmanager
def plugin_registered(plugin: object, name: str = "under-test") -> Iterator[Plugins]:
    """A :class:`Plugins` with the built-ins plus ``plugin`` (a module or object with hookimpls);
    the plugin is unregistered on exit, whatever happens."""
    warnings: list[str] = []
    pm = get_plugin_manager(warnings, entry_points=False)
    pm.register(plugin, name=name)
    try:
        yield Plugins(pm, warnings)
    finally:
        pm.unregister(name=name)


def check_source_contract(cls: type[Source], options: Mapping[str, Any] | None = None) -> Batch:
    """Assert the parts of the source contract every source must keep; returns what it read.

    Checks: a ``Source`` subclass with a ``type_name`` and :class:`Option` declarations; ``describe()``
    is JSON; reading once ends; the counts in ``health()`` match what was read; ``position()`` is JSON
    and a fresh instance restored to it reads nothing already read.
    """
    assert isinstance(cls, type) and issubclass(cls, Source), f"{cls!r} is not a Source subclass"
    assert cls.type_name, f"{cls.__name__} has no type_name"
    assert all(isinstance(option, Option) for option in cls.options), "options must be Option values"
    json.dumps(cls.describe())
    first = make_source(cls, options)
    batch = read_source(first)
    health = first.health()
    assert health.events == len(batch.events), (health, len(batch.events))
    assert health.rejected == len(batch.rejections), (health, len(batch.rejections))
    position = json.loads(json.dumps(first.position()))
    if position:
        again = make_source(cls, options)
        again.restore(position)
        rest = read_source(again)
        assert not rest.events, f"resumed from {position} but read {len(rest.events)} events again"
    return batch


@pytest.fixture
def no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the plugins installed on this machine out of the test."""
    monkeypatch.setenv(LOAD_ENV, "")


@pytest.fixture
def plugins(no_installed_plugins: None) -> Plugins:
    """The built-in plugins only."""
    return load_plugins()

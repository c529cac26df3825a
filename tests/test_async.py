"""Library calls that use asyncio work inside a running event loop too (notebooks, servers)."""

from __future__ import annotations

import asyncio

import pytest

from clearweights._async import run_sync


async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


async def _fails() -> None:
    raise ValueError("from the coroutine")


def test_run_sync_with_and_without_a_running_loop() -> None:
    assert run_sync(_answer()) == 42

    async def inside() -> int:
        return run_sync(_answer())  # asyncio.run alone would refuse here

    assert asyncio.run(inside()) == 42


def test_run_sync_raises_the_coroutines_error() -> None:
    async def inside() -> None:
        run_sync(_fails())

    with pytest.raises(ValueError, match="from the coroutine"):
        asyncio.run(inside())

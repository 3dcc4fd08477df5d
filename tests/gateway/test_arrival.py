"""Messages of one conversation take their turns in arrival order, whatever happens to each."""
from __future__ import annotations

import asyncio

from bot.gateway.arrival import ArrivalOrder
from tests.asyncio_thread import run as run_async


def test_turns_follow_arrival_and_a_place_given_up_early_lets_the_next_go() -> None:
    run_async(_turns_follow_arrival())


def test_waiters_proceed_strictly_one_after_another() -> None:
    run_async(_one_after_another())


# Run in a thread of their own: the session's Playwright browser keeps an event loop in the main thread.
async def _turns_follow_arrival() -> None:
    order = ArrivalOrder()
    first, second, third = (order.arrive("c1") for _ in range(3))
    other = order.arrive("c2")
    assert first.turn.is_set() and other.turn.is_set()
    assert not second.turn.is_set() and not third.turn.is_set()
    order.leave("c1", second)  # refused (e.g. 403) before its turn: it must not hold the line
    assert not third.turn.is_set()
    order.leave("c1", first)
    await asyncio.wait_for(third.wait(), timeout=1)
    order.leave("c1", third)
    assert order.arrive("c1").turn.is_set(), "an empty line starts afresh"


async def _one_after_another() -> None:
    order = ArrivalOrder()
    done: list[int] = []

    async def handle(n: int, place) -> None:  # noqa: ANN001 - a Place
        await place.wait()
        await asyncio.sleep(0.01 * (3 - n))  # the earlier ones are slower, and still finish first
        done.append(n)
        order.leave("c", place)

    places = [order.arrive("c") for _ in range(3)]
    await asyncio.gather(*(handle(n, p) for n, p in reversed(list(enumerate(places)))))
    assert done == [0, 1, 2]

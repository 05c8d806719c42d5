"""The live stream's hub and a view following it, in one process: a follower fed the messages ends with
the published document; a gap or another epoch asks for a resync; a view that does not read is dropped
once its queue is full, and the others go on."""

from __future__ import annotations

from sellerpulse.core.api.stream import Hub, StreamFollower, parse_sse


def documents(n: int) -> list[dict]:
    return [{"at": i, "metrics": {"odr": {"value": i // 3, "history": [0] * (i % 4)}}} for i in range(n)]


def follow(hub: Hub, wakes: list[int]):
    return hub.subscribe(lambda: wakes.append(1))


def feed(follower: StreamFollower, messages: list[bytes]) -> bool:
    return all(follower.feed(event, payload) for event, payload in parse_sse(b"".join(messages).decode()))


def test_a_follower_applying_the_patches_ends_with_the_published_document() -> None:
    hub, wakes = Hub(), []
    docs = documents(12)
    hub.publish(docs[0])
    subscriber = follow(hub, wakes)
    for doc in docs[1:]:
        hub.publish(doc)
    follower = StreamFollower()
    messages = subscriber.take()
    assert [event for event, _ in parse_sse(b"".join(messages).decode())][:2] == ["full", "patch"]
    assert feed(follower, messages)
    assert follower.document == docs[-1] and follower.seq == hub.seq == 12
    assert len(wakes) == len(messages)


def test_nothing_is_sent_when_nothing_changed() -> None:
    hub, wakes = Hub(), []
    hub.publish({"a": 1})
    subscriber = follow(hub, wakes)
    subscriber.take()
    for _ in range(5):
        hub.publish({"a": 1})
    assert subscriber.take() == [] and hub.seq == 1


def test_a_gap_or_another_epoch_asks_for_a_resync() -> None:
    hub = Hub()
    hub.publish({"a": 0})
    subscriber = follow(hub, [])
    for i in range(1, 4):
        hub.publish({"a": i})
    messages = parse_sse(b"".join(subscriber.take()).decode())
    follower = StreamFollower()
    assert follower.feed(*messages[0])
    assert not follower.feed(*messages[2])  # seq 3 after 1: one was lost
    restarted = Hub()
    restarted.publish({"a": 0})
    fresh = StreamFollower()
    assert fresh.feed(*messages[0])
    later = follow(restarted, [])
    restarted.publish({"a": 1})
    patch_of_other_epoch = parse_sse(b"".join(later.take()).decode())[1]
    assert patch_of_other_epoch[1]["seq"] == fresh.seq + 1  # only the epoch tells it apart
    assert not fresh.feed(*patch_of_other_epoch)


def test_a_view_that_does_not_read_is_dropped_and_the_others_go_on() -> None:
    hub = Hub()
    hub.publish({"at": 0})
    stalled = hub.subscribe(lambda: None, limit=4)
    reading = hub.subscribe(lambda: None, limit=4)
    follower = StreamFollower()
    for at in range(1, 20):
        hub.publish({"at": at})
        assert feed(follower, reading.take())
    assert stalled.dropped and stalled.pending == type(stalled.pending)()
    assert stalled not in hub.subscribers and reading in hub.subscribers
    assert follower.document == {"at": 19}

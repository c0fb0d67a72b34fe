"""The local Redis through which the hardening tests share limits, or a plain skip without it."""

import pytest
import redis


def redis_or_skip(url: str) -> redis.Redis:
    """A client of the Redis at url; the test is skipped, saying so, when none answers."""
    store = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        store.ping()
    except redis.exceptions.ConnectionError:
        store.close()
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    return store

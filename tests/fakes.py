"""Test doubles shared by the connector tests."""


class RecordedTime:
    """A clock that only moves when the client sleeps: waits are recorded, not slept."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

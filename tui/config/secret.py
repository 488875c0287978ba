"""The admin key as a secret: never printed, only fingerprinted."""

from __future__ import annotations


class Secret:
    """A secret string whose ``str``/``repr`` never reveal it. Call :meth:`reveal` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def fingerprint(self) -> str:
        """What a person may see: the instance name and the last 4 characters.

        ``convex-self-hosted|01ab…9f3c`` becomes ``convex-self-hosted…9f3c``. A key without an
        instance name shows a short hash instead so two keys can still be told apart.
        """
        name, sep, rest = self._value.rpartition("|")
        if sep and name and len(rest) >= 12:
            return f"{name.split(':')[-1]}…{rest[-4:]}"
        import hashlib  # here: only a key without an instance name needs it

        digest = hashlib.sha256(self._value.encode()).hexdigest()[:8]
        return f"key#{digest}"

    def __repr__(self) -> str:
        return f"Secret({self.fingerprint!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("Secret values are not picklable")

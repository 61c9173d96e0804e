"""Pact validation errors: one exception carrying every problem found, each at a JSON pointer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PactError:
    """One problem in a pact document.

    ``pointer`` is an RFC 6901 JSON pointer into the submitted document ("" is the whole
    document, "/clauses/2/pattern" the pattern of the third clause); ``message`` says what is
    wrong and, where there is one, what to write instead.
    """

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '<root>'}: {self.message}"


class PactInvalid(ValueError):
    """A pact document was rejected; ``errors`` lists every problem found, ordered by pointer."""

    def __init__(self, errors: list[PactError]) -> None:
        if not errors:
            raise ValueError("PactInvalid needs at least one error")
        self.errors: tuple[PactError, ...] = tuple(sorted(errors, key=_pointer_sort_key))
        lines = "\n".join(f"  {error}" for error in self.errors)
        super().__init__(f"pact is invalid ({len(self.errors)} error(s)):\n{lines}")

    @property
    def pointers(self) -> list[str]:
        return [error.pointer for error in self.errors]


def escape_token(token: str | int) -> str:
    """Escape one reference token for a JSON pointer (RFC 6901 section 3)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(pointer: str, token: str | int) -> str:
    return f"{pointer}/{escape_token(token)}"


def _pointer_sort_key(error: PactError) -> tuple[tuple[int, int | str], ...]:
    # Numeric tokens sort numerically so /clauses/10 comes after /clauses/9.
    tokens = error.pointer.split("/")[1:] if error.pointer else []
    return tuple((0, int(t)) if t.isascii() and t.isdigit() else (1, t) for t in tokens)

"""Removable hook handles, shared by tensor gradient hooks and module forward hooks."""

from __future__ import annotations

import itertools
from typing import Any

_next_id = itertools.count()


class RemovableHandle:
    """Returned by `register_hook`/`register_forward_hook`; `.remove()` unregisters the hook.

    Also a context manager: the hook is removed when the block ends.
    """

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks = hooks
        self.id = next(_next_id)

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

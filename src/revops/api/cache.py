"""``ResultCache``: answers of reads kept per store generation (the intake's commit count), so
a dashboard page or a metrics request asked twice between two writes is computed once.

A key being computed is computed by one thread; others asking for it wait for that answer
instead of computing it again (a page opened by ten people at 9:00).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class ResultCache:
    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[Any, Future] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                mine = False
            else:
                found = self._items[key] = Future()
                mine = True
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        if not mine:
            return found.result()
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                self._items.pop(key, None)
            found.set_exception(exc)
            raise
        found.set_result(value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

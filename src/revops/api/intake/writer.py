"""``LeadIntake``: one writer thread that takes leads in group commits.

DuckDB lets one writer commit at a time and a commit costs about a millisecond whatever it
holds, so a commit per request caps a server at a few hundred leads a second. Requests are
queued instead; the writer takes everything waiting (up to ``max_batch``), scores and routes
it in arrival order, writes it in one transaction (``GroupCommit``) and only then answers
each request: an answered lead is a committed lead, and a server killed at any moment loses
none it acknowledged. Under light load a batch is one request and answers in a few
milliseconds; under load the writer commits at most every ``commit_interval_ms`` (20 ms),
so each commit's fixed cost is shared by the leads that arrived meanwhile.

Checkpoints. DuckDB writes each commit to its log and, once the log passes
``checkpoint_threshold`` (16 MB by default), folds it into the file inside the commit that
crossed it, while every write waits: at 1,000 leads a second, an 80-350 ms stall every six
seconds — the whole tail of the latency. The writer folds the log itself instead, as soon as
it has been idle for ``idle_checkpoint_ms`` (500 ms): a burst goes to the log at full speed
and is folded in at the next lull, when no request waits (150 MB: 0.4 s). ``log_backstop``
(256 MB, about 100 s of sustained 1,000 leads/s) stays as DuckDB's threshold for load
without a lull, whose checkpoint then stalls the intake in proportion. A server killed before
a checkpoint loses nothing: DuckDB replays the log when the store is next opened.

    intake = LeadIntake.start(store, model)
    answer = intake.submit_lead(fields, key).result()      # from any thread
    answer = await intake.take_lead(fields, key)           # from the event loop
    intake.close()                                         # drains the queue, then stops
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revops.api.intake.answers import Answer, Rejection, Unavailable
from revops.api.intake.batch import EventRequest, GroupCommit, LeadRequest, StageMoveRequest, UserRequest
from revops.api.intake.desk import IntakeDesk
from revops.engines.routing.audit import store_lock
from revops.store.store import utcnow

log = logging.getLogger("revops.api.intake")
_STOP = object()


@dataclass
class IntakeStats:
    leads: int = 0
    replays: int = 0
    rejected: int = 0
    batches: int = 0
    failed_batches: int = 0
    largest_batch: int = 0
    commit_seconds: float = 0.0
    checkpoints: int = 0
    longest_checkpoint_ms: float = 0.0


class _Waiter:
    """Where an answer goes: a concurrent Future (threads) or an asyncio Future (event loop)."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.future: Any = loop.create_future() if loop is not None else Future()


class LeadIntake:
    def __init__(self, desk: IntakeDesk, *, max_batch: int = 512, max_pending: int = 20_000,
                 commit_interval_ms: float = 20.0, idle_checkpoint_ms: float = 500.0,
                 log_backstop: str = "256MB", clock: Callable[[], datetime] = utcnow) -> None:
        self.desk = desk
        self.idle_checkpoint = idle_checkpoint_ms / 1000.0
        if self.idle_checkpoint > 0:
            desk.store.con.execute(f"SET checkpoint_threshold = '{log_backstop}'")
        self._unfolded = False
        """Commits since the last checkpoint: the log holds work not yet in the file."""
        self.commit_interval = commit_interval_ms / 1000.0
        self.clock = clock
        """The time a batch is taken at (naive UTC): received_at, decided_at, assigned_at."""
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.stats = IntakeStats()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="lead-intake", daemon=True)
        self.after_commit: Callable[[], None] | None = None
        """Called after each commit (the workflow engine's wake-up: new events and changes)."""

    @classmethod
    def start(cls, store: Any, model: Any, *, clock: Callable[[], datetime] = utcnow, **options: Any) -> LeadIntake:
        """Build the desk from the store (reps, caps, what was taken before) and start the writer."""
        intake = cls(IntakeDesk(store, model, clock()), clock=clock, **options)
        intake._thread.start()
        return intake

    # -- submitting -----------------------------------------------------------------------
    def submit_lead(self, fields: dict[str, Any], key: str | None = None, *,
                    events: dict[str, list[dict[str, Any]]] | None = None, ignored: list[str] | None = None,
                    actor: Any = None) -> Future:
        """Queue a lead (its fields, touches and activities by table); the Future gets its Answer.
        ``actor`` (a Principal) is who the audit log names."""
        return self._put(LeadRequest(fields, key, ignored or [], _Waiter(None), events or {}, actor)).future

    async def take_lead(self, fields: dict[str, Any], key: str | None = None, *,
                        events: dict[str, list[dict[str, Any]]] | None = None,
                        ignored: list[str] | None = None, actor: Any = None) -> Answer:
        """Queue a lead and wait for its Answer (after the commit) on the running event loop."""
        waiter = self._put(LeadRequest(fields, key, ignored or [], _Waiter(asyncio.get_running_loop()), events or {},
                                       actor))
        return await waiter.future

    async def change_user(self, user_id: str, changes: dict[str, Any], actor: Any = None) -> Answer:
        waiter = self._put(UserRequest(user_id, changes, _Waiter(asyncio.get_running_loop()), actor))
        return await waiter.future

    def submit_user_change(self, user_id: str, changes: dict[str, Any], actor: Any = None) -> Future:
        return self._put(UserRequest(user_id, changes, _Waiter(None), actor)).future

    async def move_stage(self, move: Any, actor: Any = None) -> Answer:
        """Queue a deal's stage move (a ``deals.moves.StageMove``) and wait for its Answer; a move
        the gate refuses raises its ``MoveRefused``."""
        waiter = self._put(StageMoveRequest(move, _Waiter(asyncio.get_running_loop()), actor))
        return await waiter.future

    def submit_stage_move(self, move: Any, actor: Any = None) -> Future:
        return self._put(StageMoveRequest(move, _Waiter(None), actor)).future

    async def take_events(self, events: list[Any], *, single: bool, actor: Any = None) -> Answer:
        """Queue events (revops.orchestration IncomingEvent) and wait until they are stored."""
        waiter = self._put(EventRequest(events, _Waiter(asyncio.get_running_loop()), single, None, actor))
        return await waiter.future

    def submit_events(self, events: list[Any], *, single: bool = False, actor: Any = None) -> Future:
        return self._put(EventRequest(events, _Waiter(None), single, None, actor)).future

    def _put(self, request: LeadRequest | UserRequest | StageMoveRequest | EventRequest) -> _Waiter:
        if self._closed:
            raise Unavailable("the server is shutting down; retry on the next instance", retry_after=5)
        if self._queue.qsize() >= self.max_pending:
            raise Unavailable(f"{self.max_pending:,} requests are waiting to be stored; retry in a second")
        self._queue.put(request)
        return request.waiter

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Store what is waiting, then stop the writer."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()

    # -- the writer -----------------------------------------------------------------------
    def _run(self) -> None:
        stop = False
        last_start = 0.0
        while not stop:
            try:
                first = self._queue.get(timeout=self.idle_checkpoint) if self._unfolded else self._queue.get()
            except queue.Empty:
                self._checkpoint()
                continue
            if first is _STOP:
                break
            batch = [first]
            # Under load, commit at most every commit_interval: a commit's fixed cost (~5 ms of
            # CPU for the inserts and the log) is then shared by more leads. After a quiet spell
            # the deadline has long passed and a lone lead is committed at once.
            deadline = last_start + self.commit_interval
            while len(batch) < self.max_batch:
                wait = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            last_start = time.monotonic()
            try:
                self._commit(batch)
            except BaseException:  # never let the writer die: it would strand every later request
                log.exception("lead intake: a batch of %d request(s) failed", len(batch))

    def _checkpoint(self) -> None:
        """Fold the log into the store file while nothing is waiting (see the module's notes)."""
        started = time.perf_counter()
        try:
            with store_lock(self.desk.store):
                self.desk.store.con.execute("CHECKPOINT")
        except Exception:  # it runs again at the next quiet moment, or at the backstop
            log.warning("lead intake: checkpoint failed", exc_info=True)
            return
        self._unfolded = False
        stats = self.stats
        stats.checkpoints += 1
        stats.longest_checkpoint_ms = max(stats.longest_checkpoint_ms, (time.perf_counter() - started) * 1000.0)

    def _commit(self, batch: list[LeadRequest | UserRequest | StageMoveRequest]) -> None:
        desk = self.desk
        work = GroupCommit(desk, self.clock())
        t0 = time.perf_counter()
        try:
            with store_lock(desk.store), desk.store.transaction():
                for segment in _segments(batch):
                    if isinstance(segment, UserRequest):
                        work.change_user(segment)
                    elif isinstance(segment, StageMoveRequest):
                        work.move_stage(segment)
                    elif isinstance(segment, EventRequest):
                        work.take_events(segment)
                    else:
                        work.take_leads(segment)
                work.write()
        except Exception as exc:
            _rollback(desk.store)
            work.undo()
            self.stats.failed_batches += 1
            log.exception("lead intake: batch of %d rolled back", len(batch))
            failure = Unavailable(f"the store could not commit this batch ({type(exc).__name__}: {exc}); "
                                  "nothing of it was stored; retry")
            answered = {id(w) for w, _ in work.settled}
            outcomes = [(w, o if isinstance(o, Rejection) and o.status < 500 else failure) for w, o in work.settled]
            outcomes += [(r.waiter, failure) for r in batch if id(r.waiter) not in answered]
            _settle(outcomes)
            return
        work.committed()
        self._unfolded = self.idle_checkpoint > 0
        stats = self.stats
        stats.batches += 1
        stats.largest_batch = max(stats.largest_batch, len(batch))
        stats.commit_seconds += time.perf_counter() - t0
        for _, outcome in work.settled:
            if isinstance(outcome, Answer):
                if outcome.replayed:
                    stats.replays += 1
                elif outcome.lead_id is not None:
                    stats.leads += 1
            else:
                stats.rejected += 1
        _settle(work.settled)
        if self.after_commit is not None:
            try:
                self.after_commit()
            except Exception:  # a wake-up that failed must not stop the intake
                log.warning("lead intake: after_commit failed", exc_info=True)


def _rollback(store: Any) -> None:
    """A failed COMMIT may leave the transaction open: make sure it is gone."""
    try:
        store.con.execute("ROLLBACK")
    except Exception:  # no transaction open: the usual case
        pass


def _segments(batch: list[LeadRequest | UserRequest | StageMoveRequest]
              ) -> list[list[LeadRequest] | UserRequest | StageMoveRequest]:
    """Runs of consecutive leads, with each user change and stage move on its own between them."""
    out: list[list[LeadRequest] | UserRequest | StageMoveRequest] = []
    for item in batch:
        if isinstance(item, (UserRequest, StageMoveRequest, EventRequest)):
            out.append(item)
        elif out and isinstance(out[-1], list):
            out[-1].append(item)
        else:
            out.append([item])
    return out


def _settle(outcomes: list[tuple[_Waiter, Any]]) -> None:
    """Hand each outcome to its waiter; asyncio ones in one call per event loop."""
    by_loop: dict[Any, list[tuple[Any, Any]]] = defaultdict(list)
    for waiter, outcome in outcomes:
        if waiter.loop is None:
            if isinstance(outcome, BaseException):
                waiter.future.set_exception(outcome)
            else:
                waiter.future.set_result(outcome)
        else:
            by_loop[waiter.loop].append((waiter.future, outcome))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, pairs)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


def _resolve(pairs: list[tuple[asyncio.Future, Any]]) -> None:
    for future, outcome in pairs:
        if future.done():  # the request was cancelled (client gone): the lead is stored anyway
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

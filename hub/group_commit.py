"""Group commit: concurrent writes of one kind share a transaction.

A court front end that files fifty orders at once, or fifty officers doing so,
would otherwise pay a transaction each: BEGIN, the checks, five inserts, an id
from the audit sequence, COMMIT. Here each write is a job in a queue; one task
per process takes every job waiting (up to ``MAX_BATCH``) and runs them in one
transaction, their audit entries in one statement at the end. Jobs arriving
while a batch commits form the next one, so a lone request waits for nothing
and a busy hub writes many rows per statement.

A batch opens with ``open_batch(session, jobs)``, which may read what all of
its jobs need at once and returns the batch's ``check``. A job comes in two
steps. ``check`` only reads: it may refuse the job
(``HubError``), which is that job's answer and leaves the others be, or finish
it without writing (``Done``); otherwise it returns the job's ``Write``. A
write that fails, or a commit that does (a broken connection, two processes
racing for one unique key), rolls the batch back, and each of its jobs runs
again alone: no job fails for another's fault.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeAlias, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from hub import audit
from hub.errors import HubError
from hub.storage import Database

log = structlog.get_logger("hub.group_commit")

MAX_BATCH = 64
J = TypeVar("J")
R = TypeVar("R")


@dataclass(frozen=True)
class Done(Generic[R]):
    """A job its checks finished without a write (e.g. an idempotency key seen before)."""

    result: R


# A job's writes, inside the batch's transaction; its audit entries go to the list.
Write: TypeAlias = Callable[[list[audit.AuditRecord]], Awaitable[R]]
Step: TypeAlias = Done[R] | Write[R]
Check: TypeAlias = Callable[[J], Awaitable[Step[R]]]
OpenBatch: TypeAlias = Callable[[AsyncSession, list[J]], Awaitable[Check[J, R]]]


@dataclass
class _Waiting(Generic[J, R]):
    job: J
    future: asyncio.Future[R]
    audits: list[audit.AuditRecord] = field(default_factory=list)


class GroupCommit(Generic[J, R]):
    """Runs queued jobs, many to a transaction of ``db``."""

    def __init__(
        self, db: Database, open_batch: OpenBatch[J, R], *, max_batch: int = MAX_BATCH
    ) -> None:
        self.db = db
        self.open_batch = open_batch
        self.max_batch = max_batch
        self._queue: list[_Waiting[J, R]] = []
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0  # transactions run, and jobs run in them: what grouping achieves
        self.jobs = 0

    async def submit(self, job: J) -> R:
        """The job's result, once its batch has committed; or its refusal."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests run several): start afresh
            self._loop, self._queue, self._task = loop, [], None
        waiting: _Waiting[J, R] = _Waiting(job, loop.create_future())
        self._queue.append(waiting)
        if self._task is None or self._task.done():
            # a context of its own: the first caller's log bindings are not the batches'
            self._task = loop.create_task(
                self._drain(), name="group-commit", context=contextvars.Context()
            )
        # a caller that goes away does not take its job out of a batch being written
        return await asyncio.shield(waiting.future)

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            try:
                await self._run(batch)
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0], exc)
                    continue
                log.info("batch rolled back; its jobs run alone", jobs=len(batch), error=str(exc))
                for waiting in batch:
                    try:
                        await self._run([waiting])
                    except Exception as alone:
                        _settle(waiting, alone)

    async def _run(self, batch: list[_Waiting[J, R]]) -> None:
        outcomes: list[R | HubError] = []
        self.batches += 1
        self.jobs += len(batch)
        async with self.db.transaction() as session:
            check = await self.open_batch(session, [w.job for w in batch])
            for waiting in batch:
                waiting.audits.clear()
                try:
                    step = await check(waiting.job)
                except HubError as refused:  # it read, and wrote nothing
                    outcomes.append(refused)
                    continue
                if isinstance(step, Done):
                    outcomes.append(step.result)
                else:
                    outcomes.append(await step(waiting.audits))
            await audit.record_many(session, [a for w in batch for a in w.audits])
        for waiting, outcome in zip(batch, outcomes, strict=True):
            _settle(waiting, outcome)


def _settle(waiting: _Waiting[J, R], outcome: object) -> None:
    if waiting.future.done():  # its caller was cancelled and gone
        return
    if isinstance(outcome, BaseException):
        waiting.future.set_exception(outcome)
    else:
        waiting.future.set_result(outcome)  # type: ignore[arg-type]

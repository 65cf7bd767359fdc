"""The engine: runs the selected cases concurrently against a target, under deadlines, as events."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from conformance.cases import REGISTRY, Case
from conformance.cases.kit.context import (
    LISTEN_ROUTE,
    ROUTE_MISSING,
    CaseContext,
    Cleanups,
    Fixtures,
)
from conformance.contract import catalogue as catalogue_module
from conformance.contract.catalogue import Catalogue
from conformance.errors import (
    Blocked,
    CaseOutcome,
    CheckFailed,
    Skipped,
    TargetTimeout,
)
from conformance.run.config import RunConfig
from conformance.run.events import (
    CaseFinished,
    CaseStarted,
    Event,
    Handler,
    Notice,
    RunFinished,
    RunStarted,
)
from conformance.run.plan import network_of, preflight, redactor_for, select
from conformance.run.proof import prove
from conformance.run.verdicts import CaseResult, Verdict, attribute_blocked, judge, outcome
from conformance.wire import reproduce
from conformance.wire.addresses import reaches_this_machine
from conformance.wire.audio import mono
from conformance.wire.cost import RunCost, current_requirement
from conformance.wire.http import Exchange, TargetClient, current_exchanges
from conformance.wire.receiver import Receiver

MAX_EXCHANGES = 25
"""Exchanges kept as evidence per case; a property case may send many more."""


def _finished(task: asyncio.Future[CaseResult]) -> bool:
    """A case task that ended with its result (not cancelled by the stop)."""
    return task.done() and not task.cancelled() and task.exception() is None


class Engine:
    """Runs one conformance run and tells its handlers what happens."""

    def __init__(
        self,
        config: RunConfig,
        handlers: Sequence[Handler],
        catalogue: Catalogue | None = None,
        cases: Sequence[Case] = REGISTRY,
    ) -> None:
        self.config = config
        self.handlers = list(handlers)
        self.catalogue = (catalogue or catalogue_module.load()).for_dialect(config.dialect)
        self.cases = select(self.catalogue, config, cases)
        self.redactor = redactor_for(config)
        self._tasks: list[asyncio.Future[CaseResult]] = []
        self._started: set[asyncio.Future[Any]] = set()
        """The case tasks that have begun (--exitfirst cancels those; the rest skip)."""
        self._halted_by: str | None = None
        """The requirement whose failure stopped the run (--exitfirst)."""

    def emit(self, event: Event) -> None:
        """Send an event to every handler, in order."""
        for handler in self.handlers:
            handler.handle(event)

    async def run(self) -> RunFinished:
        """Preflight, start the receiver, run every case, judge every requirement."""
        config, timing = self.config, self.config.timing
        await preflight(config, self.redactor)
        started = datetime.now(UTC)
        self.emit(
            RunStarted(
                config, self.catalogue, self.redactor.text(config.target), started, len(self.cases)
            )
        )
        cost = RunCost(config.budget)
        receiver = Receiver(
            config.callback_host,
            config.callback_public_url,
            timing.server_start,
            timing.shutdown,
            reachable_from_target=bool(config.callback_public_url)
            or reaches_this_machine(config.target),
            cost=cost,
        )
        client = TargetClient(
            config.target,
            config.credentials.authorization(),
            self.redactor,
            timing.request,
            config.concurrency,
            cost,
            network=network_of(config),
            rate_limit=config.rate_limit,
        )
        await receiver.start()
        cleanups = Cleanups()
        notices: list[str] = []
        interrupted = False
        try:
            fixtures = Fixtures(client)
            notices = await self._check_routes(fixtures)
            self._tasks = [
                asyncio.ensure_future(
                    self._run_case(
                        case,
                        CaseContext(
                            config,
                            self.catalogue,
                            client,
                            fixtures,
                            receiver,
                            self.redactor,
                            cleanups=cleanups,
                        ),
                    )
                )
                for case in self.cases
            ]
            try:
                results = list(await asyncio.gather(*self._tasks))
            except asyncio.CancelledError:  # a stop signal: report what was judged so far
                interrupted = True
                results = [t.result() for t in self._tasks if _finished(t)]
        finally:
            cost.unlimited()  # the deletions were held within the budget when keys were made
            left = [self.redactor.text(what) for what in await cleanups.run(timing.request)]
            for what in left:
                print(
                    f"conformance: warning: the run could not delete {what} from the target; "
                    "delete it by hand",
                    file=sys.stderr,
                )
            await client.aclose()
            await receiver.stop()
        for result in attribute_blocked(results):
            self.emit(CaseFinished(result))
        judged = []
        planned = Counter(case.requirement_id for case in self.cases)
        for requirement in self.catalogue.requirements:
            mine = [r for r in results if r.requirement_id == requirement.id]
            if mine and len(mine) == planned[requirement.id]:  # an interrupted one is left out
                judged.append(judge(requirement, mine, config))
        proof = prove(judged, config.capabilities, config.allow_unverified)
        finished = RunFinished(
            judged,
            outcome(judged, unproven=bool(proof.gating)),
            started,
            datetime.now(UTC),
            tuple(left),
            tuple(notices),
            dict(sorted(client.rate_limited.by_endpoint.items())),
            cost.as_report(),
            interrupted,
        )
        self.emit(finished)
        if interrupted:
            raise asyncio.CancelledError
        return finished

    async def _check_routes(self, fixtures: Fixtures) -> list[str]:
        """Tell at once when the route most cases need answers a valid request as absent (the
        request is the shared plain transcription, so this costs nothing the cases do not)."""
        if not self.config.declares("listen") or not any(
            case.requirement_id == LISTEN_ROUTE for case in self.cases
        ):
            return []
        try:
            control = await fixtures.transcribe(mono())
        except CaseOutcome:  # no answer, or an unreadable one: the cases judge that
            return []
        if control.status not in ROUTE_MISSING:
            return []
        text = (
            f"POST /v1/listen answered {control.status} to a valid request: is --target "
            f"({self.redactor.text(self.config.target)}) right? Requirements that need it are "
            f"blocked by {LISTEN_ROUTE}"
        )
        self.emit(Notice(text))
        return [text]

    async def _run_case(self, case: Case, ctx: CaseContext) -> CaseResult:
        """Run one case under its deadline and turn how it ended into a verdict."""
        exchanges: list[Exchange] = []
        current_exchanges.set(exchanges)
        current_requirement.set(case.requirement_id)
        self.emit(CaseStarted(case.name, case.requirement_id))
        began = time.monotonic()
        deadline = self.config.case_deadline(self.catalogue.requirement(case.requirement_id))
        blocked_by: str | None = None
        try:
            if self._halted_by is not None:  # --exitfirst stopped the run before this began
                raise asyncio.CancelledError
            self._started.add(asyncio.current_task() or asyncio.Future())
            self._declared(case.requirement_id)
            async with asyncio.timeout(deadline):
                await case.run(ctx)
            verdict, reason = Verdict.PASS, ""
        except CheckFailed as exc:
            verdict, reason = Verdict.FAIL, str(exc)
        except Blocked as exc:
            verdict, reason, blocked_by = self._blocked(case, exc)
        except Skipped as exc:
            verdict, reason = Verdict.SKIP, str(exc)
        except TargetTimeout as exc:
            verdict, reason = Verdict.TIMEOUT, f"no answer in time: {exc}"
        except TimeoutError:
            verdict, reason = Verdict.TIMEOUT, f"the case did not finish within {deadline:g} s"
        except asyncio.CancelledError:
            if self._halted_by is None:  # a stop signal, not --exitfirst
                raise
            verdict, reason = (
                Verdict.SKIP,
                (f"not run: --exitfirst stopped the run when {self._halted_by} failed"),
            )
        except Exception as exc:
            verdict, reason = Verdict.ERROR, f"harness error: {type(exc).__name__}: {exc}"
        evidence = [e.evidence() for e in exchanges[:MAX_EXCHANGES]]
        if len(exchanges) > MAX_EXCHANGES:
            ctx.note(f"{len(exchanges) - MAX_EXCHANGES} more exchanges not kept")
        reproducer = None
        if verdict in {Verdict.FAIL, Verdict.TIMEOUT} or blocked_by:
            rests_on = [ctx.rests_on] if ctx.rests_on else exchanges[-1:]
            reproducer = ctx.reproducer or reproduce.for_case(
                [e.evidence() for e in rests_on], ctx.literal_authorization
            )
        result = CaseResult(
            case.name,
            case.requirement_id,
            verdict,
            self.redactor.text(reason),
            round(time.monotonic() - began, 4),
            evidence,
            [self.redactor.text(n) for n in ctx.notes],
            self.redactor.text(reproducer) if reproducer else None,
            list(ctx.callbacks.values()),
            blocked_by,
        )
        if blocked_by is None:  # a blocked case is told once its prerequisite is judged
            self.emit(CaseFinished(result))
        self._halt_after(result)
        return result

    def _halt_after(self, result: CaseResult) -> None:
        """With --exitfirst, a gated failure cancels every case still running (each then skips,
        saying so)."""
        if not self.config.exitfirst or self._halted_by is not None:
            return
        if result.verdict not in {Verdict.FAIL, Verdict.TIMEOUT}:
            return
        requirement = self.catalogue.requirement(result.requirement_id)
        if not judge(requirement, [result], self.config).gated:
            return
        self._halted_by = result.requirement_id
        current = asyncio.current_task()
        for task in self._started:  # one not yet begun skips when it begins
            if task is not current and not task.done():
                task.cancel()

    def _declared(self, requirement_id: str) -> None:
        """Skip a requirement that needs, itself or through a prerequisite, a capability the
        target does not declare (pre-recorded listen, for a streaming-only gateway)."""
        by_id = {r.id: r for r in self.catalogue.requirements}
        closure = catalogue_module.prerequisite_closure(self.catalogue, {requirement_id})
        # its prerequisites' first: a capability they lack is the root of its skip
        for needed_id in sorted(closure & by_id.keys(), key=lambda i: (i == requirement_id, i)):
            needed = by_id[needed_id]
            for capability in needed.capabilities:
                if not self.config.declares(capability):
                    through = "" if needed_id == requirement_id else f" (through {needed_id})"
                    raise Skipped(
                        f"the target does not declare the {capability} capability{through}; "
                        "declare it in the profile or with --capabilities"
                    )

    def _blocked(self, case: Case, blocked: Blocked) -> tuple[Verdict, str, str | None]:
        """A case that met its prerequisite missing: its own requirement's failure when that is
        the prerequisite, a harness error when the catalogue does not declare it, else pending."""
        requirement = self.catalogue.requirement(case.requirement_id)
        if blocked.prerequisite == requirement.id:
            return Verdict.FAIL, str(blocked), None
        if blocked.prerequisite not in requirement.prerequisites:
            return (
                Verdict.ERROR,
                f"harness error: case {case.name} needs {blocked.prerequisite}, which "
                f"schemas/requirements/ does not declare a prerequisite of {requirement.id}",
                None,
            )
        return Verdict.SKIP, str(blocked), blocked.prerequisite

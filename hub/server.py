"""Running the hub: uvicorn for ``hub serve``, the dispatcher loop for ``hub worker``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Awaitable, Callable

import structlog
import uvicorn

from hub.logs import configure_logging
from hub.metrics import install_connector_metrics
from hub.probes import start_probes
from hub.rechecks import Rechecker
from hub.settings import Settings
from hub.state import HubState
from hub.web.app import Service, build_state, create_app

log = structlog.get_logger("hub.server")


def dispatcher_service() -> Service:
    async def start(hub: HubState) -> Callable[[], Awaitable[None]]:
        from hub.dispatcher import Dispatcher

        dispatcher = Dispatcher(hub)
        await dispatcher.start()
        rechecker = Rechecker(hub, hub.settings.recheck_tick_s)  # 终本 re-checks
        await rechecker.start()

        async def stop() -> None:
            await rechecker.stop()
            await dispatcher.stop()

        return stop

    return start


def freeze_startup_heap() -> None:
    """Put what start-up left alive (modules, the graph's schema, the ORM's mappers ...) out
    of the cyclic collector's sight, for good: it never becomes garbage, and every full
    collection under load would walk all of it again."""
    gc.collect()
    gc.freeze()


def make_server(
    settings: Settings, *, dispatcher: bool = True, state: HubState | None = None
) -> uvicorn.Server:
    services = [dispatcher_service()] if dispatcher else []
    app = create_app(settings, state=state, services=services)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        # the scheme and client address behind a TLS proxy (Secure cookies, ops access)
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    return uvicorn.Server(config)


async def serve_forever(settings: Settings, *, dispatcher: bool = True) -> None:
    configure_logging(settings)
    server = make_server(settings, dispatcher=dispatcher)
    log.info("hub serving", url=settings.callback_base, graphql=f"{settings.callback_base}/graphql")
    freeze_startup_heap()
    try:
        await server.serve()
    finally:
        from hub import tracing

        tracing.shutdown()  # spans still buffered go out before the process ends


async def run_worker(settings: Settings) -> None:
    """The dispatcher alone, until SIGINT/SIGTERM."""
    from hub import tracing
    from hub.dispatcher import Dispatcher

    configure_logging(settings)
    tracing.configure(settings)  # the worker's agency calls are traced too
    hub = build_state(settings)
    dispatcher = Dispatcher(hub)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    install_connector_metrics()  # create_app does this for `hub serve`
    if settings.metrics_port:
        # a worker has no HTTP app; prometheus-client serves its figures from a thread
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.host)
    from hub.audit_sequencer import sequencer_for

    sequencer = sequencer_for(hub)  # any process may sequence the audit log
    await sequencer.start()
    stop_probes = await start_probes(hub)  # the dispatcher holds orders for agencies found down
    await dispatcher.start()
    rechecker = Rechecker(hub, settings.recheck_tick_s)  # 终本 re-checks
    await rechecker.start()
    log.info("worker running", worker=dispatcher.worker_id, metrics_port=settings.metrics_port)
    freeze_startup_heap()
    try:
        await stop.wait()
    finally:
        await rechecker.stop()
        await dispatcher.stop()
        await sequencer.stop()
        await stop_probes()
        await hub.aclose()
        tracing.shutdown()

"""Busy ports, found before a command writes anything.

``hub demo`` rewrites ``hub.demo.toml`` and seeds a database, ``hub mocks
--write-config`` writes a config and ``hub serve`` migrates the database, all
before their servers bind: a port already taken must stop them first, with
one line a person can act on, not a traceback after the writes.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable


class PortsBusy(Exception):
    def __init__(self, host: str, ports: list[int], flag: str) -> None:
        self.host, self.ports, self.flag = host, ports, flag
        shown = "、".join(str(p) for p in ports)
        listed = ", ".join(str(p) for p in ports)
        plural = "s" if len(ports) > 1 else ""
        super().__init__(
            f"端口 {shown} 已被占用（{host}），请停止占用它的程序或用 {flag} 换一个端口"
            f" / port{plural} {listed} on {host} already in use: stop what holds"
            f" {'them' if plural else 'it'} or choose another with {flag}"
        )


def busy_ports(host: str, ports: Iterable[int]) -> list[int]:
    """The ports of ``ports`` that a server could not listen on at ``host`` now."""
    taken = []
    for port in ports:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # as uvicorn binds: a port in TIME_WAIT is free, a listening one is not
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                taken.append(port)
    return taken


def require_free(host: str, ports: Iterable[int], flag: str) -> None:
    taken = busy_ports(host, ports)
    if taken:
        raise PortsBusy(host, taken, flag)

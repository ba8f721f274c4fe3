"""Run the emulator as a local HTTP endpoint (moto server + drift extension + faults)."""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from emulator import drift, faults
from emulator.faults import FaultInjector, FaultKind, FaultRule


@dataclass
class EmulatorOptions:
    host: str = "127.0.0.1"
    port: int = 5000
    detection_seconds: float = 0.0
    cloudformation_rate: float | None = None  # requests/second per account-region
    cloudformation_burst: float | None = None
    fault_rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0


def load_fault_rules(path: Path) -> list[FaultRule]:
    """Fault rules from a JSON list of objects with FaultRule's fields, e.g.
    [{"kind": "throttle", "service": "cloudformation", "rate": 0.3}]."""
    try:
        entries: Any = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"cannot read fault rules from {path}: {exc}") from exc
    if not isinstance(entries, list):
        raise SystemExit(f"{path}: expected a JSON list of fault rules")
    rules = []
    for number, entry in enumerate(entries, 1):
        try:
            rules.append(FaultRule(**{**entry, "kind": FaultKind(entry["kind"])}))
        except (KeyError, TypeError, ValueError) as exc:
            raise SystemExit(f"{path}: rule {number} is not valid: {exc}") from exc
    return rules


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now, for an emulator of one's own."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class Emulator:
    """A started emulator: its endpoint URL and its fault injector."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        self.injector = FaultInjector(seed=options.seed)
        self._server = ThreadedMotoServer(ip_address=options.host, port=options.port, verbose=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.options.host}:{self.options.port}"

    def start(self) -> Emulator:
        drift.install()
        drift.SETTINGS.detection_seconds = self.options.detection_seconds
        for rule in self.options.fault_rules:
            self.injector.add(rule)
        if self.options.cloudformation_rate:
            self.injector.set_rate_limit(
                "cloudformation",
                self.options.cloudformation_rate,
                self.options.cloudformation_burst,
            )
        faults.install(self.injector)
        # One access-log line per request drowns what the demo and benchmarks print.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        faults.uninstall()

"""What every scenario gets: the servers, the seeded county, the fake SMS gateway, and the run's size."""

from __future__ import annotations

from dataclasses import dataclass

from resilience.gateway import Gateway
from resilience.stack import Stack
from resilience.world import World


@dataclass
class Context:
    stack: Stack
    world: World
    gateway: Gateway
    quick: bool

    @property
    def port(self) -> int:
        return self.stack.ports.web

    def size(self, full: float, quick: float) -> float:
        return quick if self.quick else full

    def log(self, msg: str) -> None:
        import time

        print(f"  [{time.strftime('%H:%M:%S')}] {msg}", flush=True)

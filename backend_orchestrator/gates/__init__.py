"""Quality gates. One module per gate; this tuple is the registry. Ids are never reused."""

from __future__ import annotations

from ..errors import invalid_choice
from .api_design import ApiDesignGate
from .architecture import ArchitectureGate
from .base import Gate, GateContext, run_gate
from .contract import ContractGate
from .contract_tests import ContractTestsGate
from .database import DatabaseGate
from .docs import DocsGate
from .performance import PerformanceGate
from .security import SecurityGate
from .tests import TestsGate

GATES: tuple[type[Gate], ...] = (
    TestsGate, ContractGate, ApiDesignGate, SecurityGate, ArchitectureGate, DocsGate, PerformanceGate, DatabaseGate,
    ContractTestsGate,
)


def gate_ids() -> list[str]:
    return [g.id for g in GATES]


def get_gate(gate_id: str) -> Gate:
    for gate in GATES:
        if gate.id == gate_id:
            return gate()
    raise invalid_choice("gate", gate_id, gate_ids())


__all__ = ["GATES", "Gate", "GateContext", "gate_ids", "get_gate", "run_gate"]

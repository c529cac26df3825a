"""Openness frameworks, one module each behind :class:`Framework`."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from clearweights.errors import UsageError
from clearweights.frameworks.names import MOF_MODES, PROFILES

if TYPE_CHECKING:
    from clearweights.frameworks.interface import Criterion, Framework, ProfileResult, Status
    from clearweights.frameworks.subject import AuditSubject, Declarations

# Loaded on first use, so that commands which only need the profile names start fast.
_LAZY = {
    "Criterion": "interface",
    "Framework": "interface",
    "ProfileResult": "interface",
    "Status": "interface",
    "AuditSubject": "subject",
    "Declarations": "subject",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


def framework(name: str, *, mof_mode: str = "strict") -> Framework:
    """Return the framework called *name*."""
    match name:
        case "redhat":
            from clearweights.frameworks.redhat import RedHatFramework

            return RedHatFramework()
        case "osaid-1.0":
            from clearweights.frameworks.osaid import OsaidFramework

            return OsaidFramework()
        case "mof":
            from clearweights.frameworks.mof import MofFramework

            return MofFramework(mof_mode)
        case "eu-ai-act-53-2":
            from clearweights.frameworks.eu_ai_act import EuAiActFramework

            return EuAiActFramework()
        case _:
            raise UsageError(f"unknown profile {name!r}; choose from {', '.join(PROFILES)}")


__all__ = [
    "MOF_MODES",
    "PROFILES",
    "AuditSubject",
    "Criterion",
    "Declarations",
    "Framework",
    "ProfileResult",
    "Status",
    "framework",
]

"""PeerPath: training peer-support workers, with a modular multilingual curriculum.

The package itself imports nothing: ``import training.curriculum`` loads the engine
without Flask. ``from training import create_app`` still works; it is looked up on
first use (PEP 562) from ``training.app``, where the factory lives.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The app's curriculum store: one per app, and one snapshot of the files per request."""

from __future__ import annotations

from flask import Flask, g

from .curriculum import CurriculumStore


def init_app(app: Flask) -> CurriculumStore:
    """Create the store and pin a snapshot for each request."""
    store = CurriculumStore(app.config["CURRICULUM_DIR"], freshness=float(app.config["CURRICULUM_FRESHNESS"]))
    app.extensions["curriculum"] = store

    @app.before_request
    def pin_curriculum() -> None:
        # The files are checked here at most (and only once per freshness window), and every
        # part of the page - menus, locale, content, framework - sees the same version.
        g._curriculum_pin = store.pin()

    @app.teardown_request
    def unpin_curriculum(_error: BaseException | None) -> None:
        before = g.pop("_curriculum_pin", None)
        if before is not None:
            store.unpin(before)

    return store

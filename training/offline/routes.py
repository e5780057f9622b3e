"""The installable web app: the service worker and the manifest, both from the site's own origin."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, url_for
from flask_babel import get_locale

from ..web import store

bp = Blueprint("offline", __name__)


@bp.get("/sw.js")
def service_worker():
    # Served from the root (not /static/) so the worker's scope is the whole site.
    source = Path(current_app.static_folder or "") / "js" / "sw.js"
    response = Response(source.read_bytes(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    lang = str(get_locale())
    title = store().meta().title(lang)
    response = jsonify(
        {
            "name": title,
            "short_name": "PeerPath",
            "lang": lang,
            "start_url": f"/{lang}/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#fbfaf7",
            "theme_color": "#1f5f8b",
            "icons": [{"src": url_for("static", filename="favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        }
    )
    response.mimetype = "application/manifest+json"
    return response

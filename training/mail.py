"""Mail for one-time sign-in links, only when SMTP is configured (many sites have no mail server).

Without SMTP_HOST nothing is sent and the link is shown on screen to hand over.
A failure to send is logged and reported, never fatal: the link on screen still works.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def send_link(to: str, name: str, url: str, purpose: str, language: str) -> bool:
    """Send a sign-in link; True when the server accepted it."""
    config = current_app.config
    if not (config.get("SMTP_HOST") and to):
        return False
    with force_locale(language):
        message = EmailMessage()
        message["From"] = config["MAIL_FROM"]
        message["To"] = to
        message["Subject"] = (
            _("Your PeerPath sign-in link") if purpose == "invite" else _("Your new PeerPath sign-in link")
        )
        message.set_content(
            _("Hello %(name)s,", name=name)
            + "\n\n"
            + _("Open this link to choose your password. It works once.")
            + "\n\n"
            + url
            + "\n\n"
            + _("If you did not expect this message, you can ignore it.")
            + "\n"
        )
    try:
        port = int(config.get("SMTP_PORT") or 587)
        with smtplib.SMTP(config["SMTP_HOST"], port, timeout=10) as server:
            if port != 25 and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        current_app.logger.warning("mail to %s not sent: %s", to, exc)
        return False
    return True

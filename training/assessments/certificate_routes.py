"""Certificates: issuing (coordinators), the PDF, revoking or confirming, and the public
verification page anyone reaches from the QR code."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.models import User
from ..downloads import pdf_download
from ..errors import InvalidInput, NotFoundError
from ..extensions import db, limiter
from ..permissions import is_overseer, may_issue_certificate
from ..web import store
from ..webforms import attach_error, requires
from . import certificates, queries
from .forms import IssueForm, ReasonForm
from .models import Certificate
from .pdf import certificate_pdf

bp = Blueprint("certificates", __name__)


def issue_form(trainee: User) -> IssueForm:
    form = IssueForm(prefix=f"t{trainee.id}")
    form.trainer.choices = [(t.id, t.name) for t in certificates.trainers_of_trainee(trainee)]
    return form


@bp.post("/certificates/issue/<int:trainee_id>")
@requires(is_overseer)
def issue(trainee_id: int):
    trainee = db.session.get(User, trainee_id)
    if trainee is None or not may_issue_certificate(current_user, trainee):
        raise NotFoundError("no such trainee")
    back = url_for("assessments.overview", site=trainee.site_id)
    form = issue_form(trainee)
    if not form.validate_on_submit():
        flash(_("Choose one of the trainee's trainers."), "error")
        return redirect(back)
    record = queries.record_of(store().framework(str(get_locale() or "en")), trainee).record
    language = trainee.language or store().site(trainee.site_id).default_language
    try:
        certificate = certificates.issue_certificate(
            current_user, trainee, record, trainer_id=form.trainer.data, language=language
        )
    except InvalidInput as exc:
        flash(str(exc.message), "error")
        return redirect(back)
    db.session.commit()
    flash(_("Certificate %(code)s issued to %(name)s.", code=certificate.code, name=trainee.name), "info")
    return redirect(back)


@bp.app_template_global("certificate_date")
def certificate_date(certificate: Certificate) -> date:
    """The date a certificate bears, wherever it is shown: its site's calendar day."""
    site = store().site(certificate.site_id)
    return certificates.issue_date(certificate, site.timezone if site else None)


@bp.get("/certificates/<int:certificate_id>.pdf")
@login_required
def download(certificate_id: int):
    certificate = certificates.printable_certificate(current_user, certificate_id)
    site = store().site(certificate.site_id)
    fw = store().framework(certificate.language)
    comps = [(c, fw.get(c).title if fw.get(c) else c) for c in certificate.competencies]
    issued_on = certificates.issue_date(certificate, site.timezone if site else None)
    pdf = certificate_pdf(certificate, site.name if site else certificate.site_id, comps, issued_on)
    return pdf_download(pdf, f"certificate-{certificate.code}.pdf")


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@requires(is_overseer)
def revoke(certificate_id: int):
    certificate = certificates.revocable_certificate(current_user, certificate_id)
    form = ReasonForm()
    confirm = request.args.get("confirm") == "1"
    if form.validate_on_submit():
        try:
            if confirm:
                certificates.confirm_certificate(current_user, certificate, form.reason.data)
            else:
                certificates.revoke_certificate(current_user, certificate, form.reason.data)
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("assessments.overview", site=certificate.site_id))
    return render_template("assessments/certificate_revoke.html", form=form, certificate=certificate, confirm=confirm)


@bp.get("/verify")
@bp.get("/verify/<code>")
@limiter.limit("60 per minute")
def verify(code: str | None = None):
    """Public: valid or revoked, name, site, issue date. Nothing else."""
    code = code or request.args.get("code")
    certificate = certificates.by_code(code) if code else None
    site = store().site(certificate.site_id) if certificate else None
    issued_on = certificate_date(certificate) if certificate else None
    return render_template(
        "assessments/verify.html", code=code, certificate=certificate, site=site, issued_on=issued_on
    ), (404 if code and certificate is None else 200)

"""From certificate records to what is printed, verified and listed."""

from pathlib import Path
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from training.accounts.services import mask_name
from training.catalog.models import CourseRun
from training.certificates.check_codes import check_code_matches
from training.certificates.models import CHECK_CODE_LENGTH, Certificate
from training.certificates.pdf import CertificateData
from training.certificates.services import find_certificate
from training.clock import to_seoul
from training.enrollment.models import Enrollment
from training.extensions import db
from training.fonts import register_korean_font
from training.public_url import public_base_url

DEFAULT_ISSUER = "영등포구청장"


def verify_url(serial: str, check_code: str) -> str:
    """The public address, check code included, that answers whether a certificate is genuine.

    Raises PublicUrlMissing when TRAINING_PUBLIC_URL is not set."""
    return f"{public_base_url()}/verify/{serial}?{urlencode({'code': check_code})}"


def certificate_data(certificate: Certificate) -> CertificateData:
    """What one printed certificate shows."""
    enrollment = certificate.enrollment
    run = enrollment.run
    return CertificateData(
        serial=certificate.serial,
        name=enrollment.person.name,
        birth_year=enrollment.person.birth_year,
        course_title=run.title,
        period_start=run.starts_on,
        period_end=run.ends_on,
        hours=run.total_hours,
        issued_on=to_seoul(certificate.issued_at).date(),
        issuer=current_app.config.get("CERT_ISSUER") or DEFAULT_ISSUER,
        verify_url=verify_url(certificate.serial, certificate.check_code),
        check_code=certificate.check_code,
        seal_path=seal_path(),
        reissue_count=certificate.reissue_count,
    )


def seal_path() -> str | None:
    """The configured seal image, if the file is there (a missing one is warned about)."""
    path = current_app.config.get("CERT_SEAL")
    if path and Path(path).is_file():
        return path
    if path:
        current_app.logger.warning("TRAINING_CERT_SEAL %s is not a file: printing without it", path)
    return None


def certificate_font() -> str:
    return register_korean_font(current_app.config)


def verified_certificate(serial: str | None, typed_code: str | None) -> Certificate | None:
    """The certificate when the serial and its check code both match, else None.

    Serials run in order, so the code is what shows the asker holds the paper. An unknown
    serial is compared against a stand-in no one can type, taking as long as a wrong code."""
    certificate = find_certificate(serial or "")
    expected = certificate.check_code if certificate else "-" * CHECK_CODE_LENGTH
    matches = check_code_matches(expected, typed_code)
    return certificate if certificate is not None and matches else None


def public_facts(certificate: Certificate) -> dict:
    """What anyone who scans the QR may learn: nothing about the person but a masked name."""
    run = certificate.enrollment.run
    return {
        "serial": certificate.serial,
        "status": "revoked" if certificate.is_revoked else "valid",
        "name": mask_name(certificate.enrollment.person.name),
        "course": run.title,
        "period": {"start": run.starts_on.isoformat(), "end": run.ends_on.isoformat()},
        "hours": run.total_hours,
        "issued_on": to_seoul(certificate.issued_at).date().isoformat(),
    }


def certificates_query():
    """Certificates with everything printing needs loaded up front."""
    return select(Certificate).options(
        joinedload(Certificate.enrollment).joinedload(Enrollment.person),
        joinedload(Certificate.enrollment).joinedload(Enrollment.run).joinedload(CourseRun.course),
        joinedload(Certificate.enrollment)
        .joinedload(Enrollment.run)
        .selectinload(CourseRun.sessions),
    )


def load_certificates(statement) -> list[Certificate]:
    return db.session.scalars(statement).unique().all()


def printable_certificates(run: CourseRun) -> list[Certificate]:
    """The run's valid certificates in serial order, loaded for printing."""
    return load_certificates(
        certificates_query()
        .join(Certificate.enrollment)
        .where(Enrollment.run_id == run.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.year, Certificate.number)
    )

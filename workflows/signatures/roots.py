"""The trust roots: certificates an administrator uploads (the government CA's roots, a public CA the province
accepts). Validation trusts these and nothing else; nothing is fetched to extend them."""

from __future__ import annotations

import hashlib

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from sqlalchemy import select

from models import TrustRoot, User, db
from workflows import audit, clock
from workflows.errors import Invalid, NotAllowed, NotFound

MAX_BYTES = 64 * 1024


def active() -> list[TrustRoot]:
    return list(db.session.scalars(select(TrustRoot).where(TrustRoot.active.is_(True)).order_by(TrustRoot.id)))


def listed() -> list[TrustRoot]:
    return list(db.session.scalars(select(TrustRoot).order_by(TrustRoot.active.desc(), TrustRoot.id)))


def certificates(rows: list[TrustRoot]) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(asn1_pem.unarmor(r.pem.encode())[2]) for r in rows]


def parse(content: bytes) -> asn1_x509.Certificate:
    """One certificate from a .cer/.crt/.pem file (PEM or DER); Invalid when it is not a CA certificate."""
    if not content or len(content) > MAX_BYTES:
        raise Invalid("Tệp chứng thư không hợp lệ (rỗng hoặc lớn hơn 64 KB).")
    try:
        der = asn1_pem.unarmor(content)[2] if asn1_pem.detect(content) else content
        cert = asn1_x509.Certificate.load(der)
        _ = cert.native  # parse it all now: a broken certificate fails here, not at a later validation
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid("Không đọc được chứng thư số: cần tệp .cer, .crt hoặc .pem (định dạng PEM hoặc DER).") from exc
    if not cert.ca:
        raise Invalid("Chứng thư “%(subject)s” không phải chứng thư của tổ chức cung cấp dịch vụ chứng thực (CA): "
                      "chỉ thêm chứng thư gốc hoặc chứng thư trung gian.", subject=subject_text(cert))
    return cert


# The parts of a certificate's subject, as an administrator reads them (asn1crypto names them in English)
_SUBJECT_WORDS = {"common_name": "Tên", "organization_name": "Tổ chức", "organizational_unit_name": "Đơn vị",
                  "locality_name": "Địa phương", "state_or_province_name": "Tỉnh/thành phố", "country_name": "Quốc gia",
                  "email_address": "Thư điện tử", "serial_number": "Số hiệu"}


def subject_text(cert: asn1_x509.Certificate) -> str:
    """"Tên: Ban Cơ yếu Chính phủ; Tổ chức: …; Quốc gia: VN" — the subject's parts in its own order."""
    parts = []
    for key, value in cert.subject.native.items():
        for one in value if isinstance(value, list) else [value]:
            parts.append(f"{_SUBJECT_WORDS.get(key, key)}: {one}")
    return "; ".join(parts)


def _ensure_admin(actor: User) -> None:
    if not actor.has_role("admin"):
        raise NotAllowed("Chỉ quản trị viên được quản lý chứng thư tin cậy.")


def add(actor: User, content: bytes) -> TrustRoot:
    """Trust a CA certificate from now on; audited. Flushes only: the caller's transaction commits."""
    _ensure_admin(actor)
    cert = parse(content)
    der = cert.dump()
    fingerprint = hashlib.sha256(der).hexdigest()
    row = db.session.scalar(select(TrustRoot).where(TrustRoot.fingerprint == fingerprint))
    if row is not None and row.active:
        raise Invalid("Chứng thư “%(subject)s” đã có trong danh sách tin cậy.", subject=row.subject)
    if row is None:
        row = TrustRoot(subject=subject_text(cert)[:500], fingerprint=fingerprint,
                        pem=asn1_pem.armor("CERTIFICATE", der).decode(),
                        not_after=cert["tbs_certificate"]["validity"]["not_after"].native.replace(tzinfo=None))
        db.session.add(row)
    row.active, row.added_by_id, row.added_at = True, actor.id, clock.now()
    db.session.flush()
    audit.record("trust_root_add", actor, data={"subject": row.subject, "fingerprint": fingerprint})
    return row


def deactivate(actor: User, root_id: int) -> TrustRoot:
    """Stop trusting a root; the row stays, so past checks still name the roots they used."""
    _ensure_admin(actor)
    row = db.session.get(TrustRoot, root_id)
    if row is None:
        raise NotFound("Không tìm thấy chứng thư.")
    row.active = False
    audit.record("trust_root_remove", actor, data={"subject": row.subject, "fingerprint": row.fingerprint})
    return row

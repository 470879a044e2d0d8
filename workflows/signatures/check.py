"""What a PDF's digital signatures say, read with pyHanko and validated offline.

Pure: bytes and trust roots in, a ``Report`` out. Nothing is fetched from the network (no OCSP, no CRL, no
AIA); revocation data the file embeds is used when present. Each signature is judged as NĐ 30/2020 readers
need it: were the signed bytes changed since, who signed (name, organisation, certificate serial), when (the
signer's time and any timestamp), does the certificate chain to a trusted root, and was it valid at signing.
"""

from __future__ import annotations

import io
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from workflows.signatures import off_loop

# From best to worst: a file's status is its worst signature's.
STATUSES = ("valid", "untrusted", "expired", "tampered", "invalid", "unsigned", "unreadable")
LABELS = {
    "valid": "Chữ ký số hợp lệ",
    "untrusted": "Chưa tin cậy: chứng thư không thuộc danh sách tin cậy",
    "expired": "Chứng thư số đã hết hạn hoặc chưa có hiệu lực khi ký",
    "tampered": "Tài liệu đã bị sửa sau khi ký",
    "invalid": "Chữ ký số không hợp lệ",
    "unsigned": "Không có chữ ký số",
    "unreadable": "Không đọc được chữ ký số của tệp",
}
# Signing certificates of Vietnamese CAs carry digitalSignature, not always nonRepudiation: ask for either.
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
_log = logging.getLogger(__name__)
# pyHanko logs every failed path as an error with its traceback; an untrusted signature is a finding shown to
# the user, not a fault of the server
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Signature:
    signer: str  # the certificate's common name
    organisation: str | None
    serial: str  # the certificate's serial number, hexadecimal
    signed_at: str | None  # ISO, as the signer's software reported it (UTC)
    timestamp_at: str | None  # ISO, from a trusted timestamp token, when there is one
    field: str | None  # the PDF signature field
    status: str  # one of STATUSES


@dataclass(frozen=True)
class Report:
    status: str
    signatures: tuple[Signature, ...]

    def as_rows(self) -> list[dict]:
        return [asdict(s) for s in self.signatures]


def worst(statuses) -> str:
    return max(statuses, key=STATUSES.index)


def read(content: bytes, roots: list[asn1_x509.Certificate], moment: datetime | None = None) -> Report:
    """Every signature of the PDF ``content``, each judged against ``roots`` at ``moment``: when the product
    received the file (default now), or when a trusted timestamp in it says it was signed."""
    try:
        embedded = PdfFileReader(io.BytesIO(content), strict=False).embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError) as exc:
        _log.info("unreadable PDF for signatures: %s", exc)
        return Report("unreadable", ())
    if not embedded:
        return Report("unsigned", ())
    signatures = tuple(_one(sig, roots, moment) for sig in embedded)
    return Report(worst(s.status for s in signatures), signatures)


def _validated(embedded, roots, moment):
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail",
                                moment=moment)
    return off_loop(validate_pdf_signature, embedded, context, key_usage_settings=KEY_USAGE)


def _one(embedded, roots, moment) -> Signature:
    try:
        status = _validated(embedded, roots, moment)
        stamped = status.timestamp_validity
        if _judged(status) == "expired" and stamped is not None and stamped.intact and stamped.valid \
                and stamped.trusted:
            # a certificate that has expired since is fine if a trusted time server saw the document signed while it
            # was valid — never on the signer's own word (a time his computer wrote: a backdated file passed)
            status = _validated(embedded, roots, stamped.timestamp)
    except Exception as exc:  # noqa: BLE001 — a malformed signature is a finding about the file, not an error of ours
        _log.info("signature %s not validated: %s", embedded.field_name, exc)
        return Signature("", None, "", None, None, embedded.field_name, "invalid")
    cert = status.signing_cert
    names = cert.subject.native
    timestamp = status.timestamp_validity.timestamp if status.timestamp_validity is not None else None
    return Signature(
        signer=names.get("common_name", ""), organisation=names.get("organization_name"),
        serial=format(cert.serial_number, "X"),
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        timestamp_at=timestamp.isoformat() if timestamp else None, field=embedded.field_name,
        status=_judged(status))


def _judged(status) -> str:
    if not status.intact or (status.modification_level is not None and status.modification_level.name == "OTHER"):
        return "tampered"
    if not status.valid:
        return "invalid"
    if status.trusted:
        return "valid"
    problem = getattr(status.trust_problem_indic, "name", "") or ""
    if "EXPIRED" in problem or "NOT_YET_VALID" in problem or "OUT_OF_BOUNDS" in problem:
        return "expired"
    return "untrusted"

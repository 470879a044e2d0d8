"""A small public-key infrastructure made in the tests (no key material is committed): a root CA, an
intermediate CA and signers, and PDFs laid out with reportlab and signed with pyHanko, as a Vietnamese
document-management system signs them (a person's signature, then the organisation's)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from workflows.signatures import off_loop


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class Party:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def asn1(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.cert.public_bytes(serialization.Encoding.DER))

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def issue(common: str, organisation: str, issuer: Party | None = None, *, ca: bool = False,
          valid_from: datetime | None = None, valid_to: datetime | None = None, serial: int | None = None) -> Party:
    """A certificate for ``common`` of ``organisation``, signed by ``issuer`` (self-signed when None)."""
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common, organisation)
    signing_key = issuer.key if issuer else key
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.cert.subject if issuer else subject).public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(valid_from or now - timedelta(days=365))
               .not_valid_after(valid_to or now + timedelta(days=365 * (10 if ca else 2)))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                              critical=False))
    return Party(key, builder.sign(signing_key, hashes.SHA256()))


@dataclass
class Pki:
    root: Party
    intermediate: Party

    def signer(self, common: str, organisation: str, **kwargs) -> Party:
        return issue(common, organisation, self.intermediate, **kwargs)


def make_pki(name: str = "Root CA thử nghiệm") -> Pki:
    root = issue(name, "Ban Cơ yếu Chính phủ", ca=True)
    return Pki(root, issue("CA chuyên dùng Chính phủ thử nghiệm", "Ban Cơ yếu Chính phủ", root, ca=True))


def pdf(lines: list[str]) -> bytes:
    """A one-page A4 PDF with ``lines`` of text (the built-in font: ASCII text reads back as written)."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, pageCompression=0)  # the text stays findable in the bytes
    for n, line in enumerate(lines):
        page.drawString(72, 770 - 18 * n, line)
    page.save()
    return out.getvalue()


def sign(content: bytes, party: Party, pki: Pki, field: str = "Signature1") -> bytes:
    """``content`` signed by ``party`` (an incremental update: an earlier signature stays valid)."""
    key = asn1_keys.PrivateKeyInfo.load(party.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = signers.SimpleSigner(signing_cert=party.asn1, signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([pki.intermediate.asn1,
                                                                                   pki.root.asn1]))
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    return off_loop(signers.sign_pdf, writer, signers.PdfSignatureMetadata(field_name=field), signer=signer).getvalue()


def tamper(content: bytes, marker: bytes) -> bytes:
    """``content`` with one byte changed inside the signed text ``marker``."""
    at = content.index(marker)
    return content[:at] + bytes([content[at] ^ 0x01]) + content[at + 1:]

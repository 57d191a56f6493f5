"""Signed PDFs as other signing systems make them, for tests/it/verify.rs.

    pyhanko_fixtures.py UNSIGNED.pdf OUT_DIR

Builds a small hierarchy like the one licensed Vietnamese CAs use — an RSA root, and an
ECDSA P-384 root with a P-256 CA under it (national root, then licensed CA) — and signs
UNSIGNED.pdf with pyHanko once per signer key and format:

    rsa, rsa-pss        RSA 2048, SHA-256, PKCS#1 v1.5 / RSASSA-PSS, under the RSA root
    p256                ECDSA P-256, SHA-256, under the intermediate CA
    p384                ECDSA P-384, SHA-384, straight under the EC root
    ed448               Ed448 (no verifier in Kho: must be INDETERMINATE, not INVALID)
    dsa                 DSA 2048 with SHA-256, under the RSA root (likewise undecided)

each as `NAME-pkcs7.pdf` (adbe.pkcs7.detached) and `NAME-cades.pdf`
(ETSI.CAdES.detached); `rsa-noattrs-pkcs7.pdf`, the RSA signer's adbe.pkcs7.detached
with no signed attributes (the older form: the signature over the content's digest);
and `crowded-cades.pdf`, the RSA signer's CMS stuffed with 40 look-alike CA
certificates. The two roots go to OUT_DIR/roots.pem; the certificates have no
revocation pointers, so every verdict is reached offline.
"""

import datetime
import re
import sys
from pathlib import Path

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, padding, rsa
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

NOW = datetime.datetime.now(datetime.timezone.utc)


def name(cn):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Thử nghiệm CA"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def certificate(subject, key, issuer=None, issuer_key=None, ca=False, digest=None):
    issuer, issuer_key = issuer or subject, issuer_key or key
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=1))
        .not_valid_after(NOW + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    )
    algorithm = None if isinstance(issuer_key, ed448.Ed448PrivateKey) else (digest or hashes.SHA256())
    return b.sign(issuer_key, algorithm)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def main(unsigned, out):
    out.mkdir(parents=True, exist_ok=True)
    rsa_root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_root = certificate(name("Gốc RSA thử nghiệm"), rsa_root_key, ca=True)
    ec_root_key = ec.generate_private_key(ec.SECP384R1())
    ec_root = certificate(
        name("Gốc ECDSA thử nghiệm"), ec_root_key, ca=True, digest=hashes.SHA384()
    )
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(
        name("CA cấp dưới thử nghiệm"),
        ca_key,
        issuer=ec_root.subject,
        issuer_key=ec_root_key,
        ca=True,
        digest=hashes.SHA384(),
    )
    (out / "roots.pem").write_bytes(pem(rsa_root) + pem(ec_root))

    def leaf(cn, key, issuer, issuer_key, digest=None):
        return certificate(
            name(cn), key, issuer=issuer.subject, issuer_key=issuer_key, digest=digest
        )

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p256_key = ec.generate_private_key(ec.SECP256R1())
    p384_key = ec.generate_private_key(ec.SECP384R1())
    ed448_key = ed448.Ed448PrivateKey.generate()
    dsa_key = dsa.generate_private_key(key_size=2048)
    rsa_leaf = leaf("Người ký RSA", rsa_key, rsa_root, rsa_root_key)
    signers_ = [
        ("rsa", rsa_key, rsa_leaf, [rsa_root], False, "sha256"),
        ("rsa-pss", rsa_key, rsa_leaf, [rsa_root], True, "sha256"),
        ("p256", p256_key, leaf("Người ký P-256", p256_key, ca, ca_key), [ca, ec_root], False, "sha256"),
        (
            "p384",
            p384_key,
            leaf("Người ký P-384", p384_key, ec_root, ec_root_key, digest=hashes.SHA384()),
            [ec_root],
            False,
            "sha384",
        ),
        ("ed448", ed448_key, leaf("Người ký Ed448", ed448_key, ec_root, ec_root_key), [ec_root], False, None),
        ("dsa", dsa_key, leaf("Người ký DSA", dsa_key, rsa_root, rsa_root_key), [rsa_root], False, "sha256"),
    ]
    for label, key, cert, chain, pss, md in signers_:
        (out / f"{label}.pem").write_bytes(pem(cert))
        cert_asn1 = load_cert_from_pemder(str(out / f"{label}.pem"))
        registry = SimpleCertificateStore()
        for i, c in enumerate(chain):
            path = out / f"{label}-chain-{i}.pem"
            path.write_bytes(pem(c))
            registry.register(load_cert_from_pemder(str(path)))
        signer = signers.SimpleSigner(
            signing_cert=cert_asn1,
            signing_key=load_private_key_from_pemder_data(key_pem(key), None),
            cert_registry=registry,
            prefer_pss=pss,
        )
        for form, sub_filter in [
            ("pkcs7", fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED),
            ("cades", fields.SigSeedSubFilter.PADES),
        ]:
            meta = signers.PdfSignatureMetadata(
                field_name="Signature1", subfilter=sub_filter, md_algorithm=md
            )
            with open(unsigned, "rb") as f:
                signed = signers.sign_pdf(IncrementalPdfFileWriter(f), meta, signer=signer)
            (out / f"{label}-{form}.pdf").write_bytes(signed.getvalue())

    # adbe.pkcs7.detached with no signed attributes (the older PKCS#7 form some signing
    # tools still make): the RSA signature is over the signed bytes' SHA-256 itself. Made
    # from the RSA fixture by putting such a CMS into its /Contents.
    base = (out / "rsa-pkcs7.pdf").read_bytes()
    m = list(re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", base))[-1]
    a0, a1, b0, b1 = map(int, m.groups())
    signed_bytes = base[a0 : a0 + a1] + base[b0 : b0 + b1]
    signature = rsa_key.sign(signed_bytes, padding.PKCS1v15(), hashes.SHA256())
    der = serialization.Encoding.DER
    leaf_asn1 = asn1_x509.Certificate.load(rsa_leaf.public_bytes(der))
    root_asn1 = asn1_x509.Certificate.load(rsa_root.public_bytes(der))
    sha256 = asn1_algos.DigestAlgorithm({"algorithm": "sha256"})
    signed_data = asn1_cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [sha256],
            "encap_content_info": {"content_type": "data"},
            "certificates": [leaf_asn1, root_asn1],
            "signer_infos": [
                {
                    "version": "v1",
                    "sid": asn1_cms.SignerIdentifier(
                        {
                            "issuer_and_serial_number": {
                                "issuer": leaf_asn1.issuer,
                                "serial_number": leaf_asn1.serial_number,
                            }
                        }
                    ),
                    "digest_algorithm": sha256,
                    "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
                    "signature": signature,
                }
            ],
        }
    )
    token = asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    gap = b0 - (a0 + a1) - 2  # the hex digits between < and >
    hex_cms = token.hex().upper().encode()
    assert len(hex_cms) <= gap
    plain = base[: a0 + a1 + 1] + hex_cms + b"0" * (gap - len(hex_cms)) + base[b0 - 1 :]
    (out / "rsa-noattrs-pkcs7.pdf").write_bytes(plain)

    # A signature whose CMS is stuffed with 40 look-alike CA certificates (same name as
    # the RSA root, other keys): Kho refuses to examine it rather than check them all.
    registry = SimpleCertificateStore()
    for i in range(40):
        k = ec.generate_private_key(ec.SECP256R1())
        path = out / f"crowd-{i}.pem"
        path.write_bytes(pem(certificate(rsa_root.subject, k, ca=True)))
        registry.register(load_cert_from_pemder(str(path)))
    crowded = signers.SimpleSigner(
        signing_cert=load_cert_from_pemder(str(out / "rsa.pem")),
        signing_key=load_private_key_from_pemder_data(key_pem(rsa_key), None),
        cert_registry=registry,
    )
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    with open(unsigned, "rb") as f:
        signed = signers.sign_pdf(IncrementalPdfFileWriter(f), meta, signer=crowded)
    (out / "crowded-cades.pdf").write_bytes(signed.getvalue())


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))

"""Runtime key material for the demo IdP: an RSA-2048 key and a self-signed certificate.

Nothing here is ever committed: keys are generated when needed, or kept in a directory the
caller chooses (``load_or_create_keypair``) so that several processes (the demo web server and
the script that configures the service's demo group) agree on the same certificate.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEY_FILENAME = "idp-key.pem"
CERT_FILENAME = "idp-cert.pem"


@dataclass(frozen=True)
class KeyPair:
    """A PEM private key (unencrypted PKCS#8) and its PEM X.509 certificate."""

    key_pem: str
    cert_pem: str

    @property
    def cert_base64(self) -> str:
        """The certificate body as one base64 line, without the PEM header and footer."""
        return cert_base64(self.cert_pem)


def generate_keypair(common_name: str, days: int = 365) -> KeyPair:
    """Generate an RSA-2048 key and a self-signed SHA-256 certificate valid for ``days``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "practice-sso demo IdP"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return KeyPair(key_pem=key_pem, cert_pem=cert_pem)


def cert_base64(cert_pem: str) -> str:
    """Strip the PEM armour and line breaks: the form in which the service stores IdP certs."""
    lines = [ln.strip() for ln in cert_pem.strip().splitlines()]
    return "".join(ln for ln in lines if ln and not ln.startswith("-----"))


def write_keypair(keypair: KeyPair, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write the pair as ``idp-key.pem`` (mode 0600) and ``idp-cert.pem``; return both paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    key_path = folder / KEY_FILENAME
    cert_path = folder / CERT_FILENAME
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(keypair.key_pem)
    cert_path.write_text(keypair.cert_pem, encoding="ascii")
    return key_path, cert_path


def load_keypair(directory: str | os.PathLike[str]) -> KeyPair:
    """Read a pair previously written by ``write_keypair``."""
    folder = Path(directory)
    return KeyPair(
        key_pem=(folder / KEY_FILENAME).read_text(encoding="ascii"),
        cert_pem=(folder / CERT_FILENAME).read_text(encoding="ascii"),
    )


def load_or_create_keypair(
    directory: str | os.PathLike[str], common_name: str = "demo-idp", days: int = 365
) -> KeyPair:
    """Load the pair kept in ``directory``; generate and store one there if it has none."""
    folder = Path(directory)
    if (folder / KEY_FILENAME).is_file() and (folder / CERT_FILENAME).is_file():
        return load_keypair(folder)
    keypair = generate_keypair(common_name, days=days)
    write_keypair(keypair, folder)
    return keypair

"""A SendGrid Event Webhook key pair made for the tests, and requests signed as SendGrid signs
them: ECDSA P-256 with SHA-256 over the timestamp followed by the body, base64 DER."""

import base64
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from starter.api.delivery import SIGNATURE_HEADER, TIMESTAMP_HEADER

PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())
# As SendGrid shows it under Mail Settings → Signed Event Webhook: base64 of the DER key.
PUBLIC_KEY = base64.b64encode(
    PRIVATE_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()


def signed_headers(
    body: bytes, key: ec.EllipticCurvePrivateKey = PRIVATE_KEY, timestamp: str | None = None
) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: timestamp,
    }

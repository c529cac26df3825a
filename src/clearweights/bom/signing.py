"""Sign and verify releases with the OpenSSF model-signing library (OMS v1.0 bundles).

Offline with EC keys (P-256, P-384, P-521): an OMS bundle over a per-file SHA-256 manifest of
every file in the release, the model card and any BOM files inside it included. Needs the
``[sign]`` extra (``pip install clearweights[sign]``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearweights._untrusted import (
    MAX_KEY_BYTES,
    UntrustedInputError,
    load_json,
    read_bounded,
    read_json,
)
from clearweights.bom.hashing import hash_files
from clearweights.errors import SigningError, UsageError, VerificationFailed

SIGNATURE = "model.sig"
CURVES = ("secp256r1", "secp384r1", "secp521r1")
_IGNORED = {".git", ".gitignore", ".gitattributes", ".github", SIGNATURE}


@dataclass(frozen=True)
class Verification:
    """What changed since the release was signed (all empty when it verifies)."""

    signature: str
    files: int
    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the release is exactly what was signed."""
        return not (self.changed or self.added or self.removed)


def _model_signing() -> Any:
    try:
        import model_signing
    except ImportError as exc:
        raise UsageError(
            "signing needs the [sign] extra", hint="pip install 'clearweights[sign]'"
        ) from exc
    return model_signing


def _check_key(path: Path, *, private: bool, password: str | None = None) -> None:
    """Reject a missing file or a key that is not an EC key on an OMS curve, naming the file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        data = read_bounded(path, MAX_KEY_BYTES)
    except UntrustedInputError as exc:
        raise SigningError(f"cannot read the key: {exc}", path=path) from exc
    except OSError as exc:
        raise SigningError(f"cannot read the key: {exc.strerror}", path=path) from exc
    try:
        if private:
            key: Any = serialization.load_pem_private_key(
                data, password.encode() if password else None
            )
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        kind = "private" if private else "public"
        raise SigningError(f"is not a PEM {kind} key ({exc})", path=path) from exc
    curve = getattr(key, "curve", None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) or curve is None:
        raise SigningError(
            f"is a {type(key).__name__.lstrip('_')}, "
            "but OMS signing needs an EC key (P-256, P-384 or P-521)",
            path=path,
        )
    if curve.name not in CURVES:
        raise SigningError(f"uses curve {curve.name}; use P-256, P-384 or P-521", path=path)


def _release_files(release: Path) -> list[str]:
    out = []
    for path in sorted(release.rglob("*")):
        rel = path.relative_to(release)
        if rel.parts[0] in _IGNORED or not path.is_file():
            continue
        out.append(rel.as_posix())
    return out


def sign(release: Path, key: Path, *, password: str | None = None) -> Path:
    """Sign every file of *release* with an EC private key; return the signature's path."""
    if not release.is_dir():
        raise UsageError("is not a directory", path=release)
    _check_key(key, private=True, password=password)
    ms = _model_signing()
    signature = release / SIGNATURE
    # NOTE: model-signing wants the password as bytes, though its signature says str.
    secret = password.encode() if password is not None else None
    hashing = ms.hashing.Config().set_ignored_paths(
        paths=[SIGNATURE]
    )  # re-signing: not the old one
    try:
        config = ms.signing.Config().use_elliptic_key_signer(private_key=key, password=secret)
        config.set_hashing_config(hashing).sign(release, signature)
    except (ValueError, OSError) as exc:
        raise SigningError(
            f"could not sign: {exc}",
            path=release,
            hint="symlinks are not signed; copy the files in",
        ) from exc
    return signature


def sign_keyless(release: Path) -> Path:
    """Sign with Sigstore (OIDC identity, Fulcio certificate, Rekor log): needs the network."""
    ms = _model_signing()
    signature = release / SIGNATURE
    hashing = ms.hashing.Config().set_ignored_paths(paths=[SIGNATURE])
    ms.signing.Config().use_sigstore_signer().set_hashing_config(hashing).sign(release, signature)
    return signature


def _signed_manifest(signature: Path) -> dict[str, str]:
    """The per-file digests a bundle holds (read only after its signature was verified)."""
    try:
        bundle = read_json(signature)
        payload = load_json(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
        return {r["name"]: r["digest"] for r in payload["predicate"]["resources"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SigningError(
            f"is not a readable OMS signature bundle: {exc}", path=signature
        ) from exc


def verify(
    release: Path,
    key: Path | None = None,
    *,
    identity: str | None = None,
    issuer: str | None = None,
) -> Verification:
    """Check *release* against its signature; name every file that changed, appeared or went.

    Raises:
        SigningError: the key or the bundle is unusable (exit 3).
        VerificationFailed: the bundle was not signed by this key (exit 1).
    """
    signature = release / SIGNATURE
    if not signature.is_file():
        raise SigningError(
            f"has no {SIGNATURE}", path=release, hint="sign it first: clearweights sign"
        )
    ms = _model_signing()
    config = ms.verifying.Config()
    if key is not None:
        _check_key(key, private=False)
        config = config.use_elliptic_key_verifier(public_key=key)
    elif identity and issuer:
        config = config.use_sigstore_verifier(identity=identity, oidc_issuer=issuer)
    else:
        raise UsageError("give --key, or --identity and --issuer for Sigstore signatures")
    config = config.set_hashing_config(ms.hashing.Config().set_ignored_paths(paths=[SIGNATURE]))
    signed = _signed_manifest(signature)  # a corrupted or truncated bundle stops here (exit 3)
    files = _release_files(release)
    try:
        config.verify(release, signature)
    except ValueError as exc:
        message = str(exc)
        if not message.startswith("Signature mismatch"):
            # The cryptographic check itself failed: another key, or a tampered bundle.
            raise VerificationFailed(
                f"the signature does not verify: {message}", path=signature
            ) from exc
    except (KeyError, TypeError, OSError) as exc:
        raise SigningError(f"is not a valid OMS signature bundle: {exc}", path=signature) from exc
    else:
        return Verification(str(signature), len(files))
    # The bundle's signature is good (model-signing checked it before comparing files), so its
    # manifest can be trusted: compare it with what is on disk, file by file.
    current = {d.path: d.sha256 for d in hash_files(release, files)}
    return Verification(
        str(signature),
        len(files),
        changed=tuple(sorted(p for p in signed.keys() & current.keys() if signed[p] != current[p])),
        added=tuple(sorted(current.keys() - signed.keys())),
        removed=tuple(sorted(signed.keys() - current.keys())),
    )

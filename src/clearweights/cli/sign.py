"""``clearweights sign PATH`` and ``clearweights verify PATH``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from clearweights.errors import ExitCode, VerificationFailed


@click.command(name="sign")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="EC private key (PEM; P-256/384/521).",
)
@click.option(
    "--password-env", metavar="VAR", help="Environment variable holding the key's password."
)
@click.option(
    "--sigstore",
    is_flag=True,
    help="Sign keyless with Sigstore instead (needs the network and an identity).",
)
def sign_command(path: Path, key: Path | None, password_env: str | None, sigstore: bool) -> int:
    """Sign every file of the release at PATH into PATH/model.sig (OMS bundle).

    \b
    Examples:
      clearweights sign ./my-model --key signing-key.pem
      clearweights verify ./my-model --key signing-key.pub.pem
    """
    from clearweights.bom.signing import sign, sign_keyless

    if sigstore == (key is not None):
        raise click.UsageError("give either --key or --sigstore")
    password = os.environ.get(password_env) if password_env else None
    if password_env and password is None:
        raise click.UsageError(
            f"--password-env {password_env}: that environment variable is not set"
        )
    signature = sign_keyless(path) if key is None else sign(path, key, password=password)
    click.echo(f"signed {path}: {signature}", err=True)
    return ExitCode.OK


@click.command(name="verify")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="EC public key (PEM).")
@click.option("--identity", help="Sigstore: the signer's identity (e-mail or URI).")
@click.option("--issuer", help="Sigstore: the identity's OIDC issuer.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def verify_command(
    path: Path, key: Path | None, identity: str | None, issuer: str | None, output_format: str
) -> int:
    """Check the release at PATH against PATH/model.sig; name every file that changed."""
    from clearweights.bom.signing import verify
    from clearweights.errors import ClearweightsError

    try:
        result = verify(path, key, identity=identity, issuer=issuer)
    except ClearweightsError as exc:
        if output_format == "json":
            doc = {
                "schema_version": "1.0",
                "path": str(path),
                "verified": False,
                "error": exc.message,
            }
            click.echo(json.dumps(doc, indent=2, sort_keys=True))
        raise
    if output_format == "json":
        doc = {
            "schema_version": "1.0",
            "path": str(path),
            "signature": result.signature,
            "verified": result.ok,
            "files": result.files,
            "changed": list(result.changed),
            "added": list(result.added),
            "removed": list(result.removed),
            "error": None,
        }
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    else:
        for label, items in (
            ("changed", result.changed),
            ("added", result.added),
            ("removed", result.removed),
        ):
            for item in items:
                click.echo(f"{label}: {item}")
        if result.ok:
            click.echo(f"{path}: verified ({result.files} files match {result.signature})")
    if not result.ok:
        count = len(result.changed) + len(result.added) + len(result.removed)
        raise VerificationFailed(f"{count} file(s) differ from what was signed", path=path)
    return ExitCode.OK

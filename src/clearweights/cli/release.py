"""``clearweights release``: a fine-tune as a Hugging Face release, proven by its own audit."""

from __future__ import annotations

from pathlib import Path

import click

from clearweights.cli._output import note
from clearweights.errors import ExitCode

PASSWORD_ENV = "CLEARWEIGHTS_SIGNING_PASSWORD"


@click.command(name="release")
@click.argument("run", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--base", required=True, help="The base model's local release.")
@click.option("--base-repo", required=True, help="The base's Hub id, for the card's base_model.")
@click.option(
    "--data",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The samples the run trained on (their provenance sets the duties).",
)
@click.option("--name", required=True, help="The fine-tune's name.")
@click.option("--output", "-o", "output", required=True, type=click.Path(path_type=Path))
@click.option(
    "--evaluation",
    type=click.Path(path_type=Path, dir_okay=False),
    help="`evaluate --format json` output, for model-index.",
)
@click.option("--dataset", "datasets", multiple=True, help="Dataset ids for the card.")
@click.option("--teacher", help="The teacher model that generated the data.")
@click.option("--license", "claimed", help="Requested licence (corrected to the base's).")
@click.option("--student-family", help="As given to train.")
@click.option("--merged", is_flag=True, help="Also merge the adapter into full weights.")
@click.option(
    "--key",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"EC private key to sign with (password from ${PASSWORD_ENV}).",
)
@click.option(
    "--verify-key",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The public key, to verify the signature just made.",
)
def release_command(
    run: Path,
    base: str,
    base_repo: str,
    data: Path,
    name: str,
    output: Path,
    evaluation: Path | None,
    datasets: tuple[str, ...],
    teacher: str | None,
    claimed: str | None,
    student_family: str | None,
    merged: bool,
    key: Path | None,
    verify_key: Path | None,
) -> int:
    """Write the release of training run RUN, then audit, check and verify it.

    Exit 0 when the release passes what its inputs allow, 1 when it does not (or the licence
    gate refuses), 2 for usage errors, 3 when an input cannot be read.

    \b
    Example:
      clearweights release runs/one --base ./base --base-repo org/base --data d.jsonl \\
          --name base-capitals --evaluation eval.json --key signing.pem -o releases/capitals
    """
    import os

    from clearweights._untrusted import read_json
    from clearweights.audit import audit_release
    from clearweights.errors import ReleaseError
    from clearweights.tune import ReleaseSpec, load_samples, plan, provenance, release
    from clearweights.tune.eval_report import from_dict
    from clearweights.tune.train import ADAPTER_DIR, read_summary

    audited = audit_release(base, profiles=())
    if audited.error:
        raise ReleaseError(audited.error, path=base)
    gate = plan(
        audited, provenance(load_samples(data)), student=student_family, claimed_license=claimed
    )
    if not gate.allowed:
        for refusal in gate.refusals:
            click.echo(f"clearweights: refused ({refusal.source}): {refusal.reason}", err=True)
        return ExitCode.FAILED
    report = from_dict(read_json(evaluation), name=str(evaluation)) if evaluation else None
    spec = ReleaseSpec(
        output=output,
        name=name,
        base=base,
        base_repo=base_repo,
        adapter=run / ADAPTER_DIR,
        plan=gate,
        training=read_summary(run),
        evaluation=report,
        datasets=datasets,
        teacher=teacher,
        merged=merged,
        sign_key=key,
        verify_key=verify_key,
        sign_password=os.environ.get(PASSWORD_ENV),
    )
    result = release(spec)
    verdict = (
        "passes the pragmatic policy"
        if result.policy_passed
        else (
            "is restricted, as its base model's licence requires: " + "; ".join(result.violations)
        )
    )
    note(f"wrote {len(result.files)} files to {result.path}; the release {verdict}")
    return ExitCode.OK

"""flask --app training certificates: issue and print a run's or a month's certificates."""

import click

from training.certificates.batch import BatchError, issue_batch, write_batch
from training.extensions import db
from training.public_url import PublicUrlMissing, public_base_url


@click.command("certificates")
@click.option("--run", "run_id", type=int, help="Issue and print the certificates of this run.")
@click.option("--month", help="YYYY-MM: of every run that ended in this month.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The PDF file to write.",
)
def certificates_command(run_id, month, output):
    """Issue the certificates of completed trainees and write them into one PDF."""
    if (run_id is None) == (month is None):
        raise click.UsageError("Give exactly one of --run ID or --month YYYY-MM.")
    try:
        # Refused before anything is issued: a certificate must not wait for a printable link.
        public_base_url()
    except PublicUrlMissing as missing:
        raise click.ClickException(missing.message) from None
    try:
        with click.progressbar(length=0, label="Issuing") as bar:
            certificate_ids = issue_batch(
                run_id=run_id, month=month, progress=bar.update, set_length=_set_length(bar)
            )
        db.session.commit()
        with (
            open(output, "wb") as handle,
            click.progressbar(length=len(certificate_ids), label="Writing PDF") as bar,
        ):
            written = write_batch(certificate_ids, handle, progress=bar.update)
    except BatchError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    click.echo(f"{written} certificates written to {output}")


def _set_length(bar):
    def set_length(length: int) -> None:
        bar.length = length

    return set_length

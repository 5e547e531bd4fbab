"""`mediaquery listen`: apply the bucket's S3 event notifications from an SQS queue."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from mediaquery.cli.options import DataDir, open_cli_context
from mediaquery.errors import BadRequest
from mediaquery.ingest.sqs_listen import listen as listen_loop
from mediaquery.ingest.sqs_listen import sqs_client
from mediaquery.logs import setup_logging


def listen(
    queue_url: Annotated[str, typer.Argument(help="URL of the SQS queue the bucket notifies")],
    data_dir: DataDir = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="An SQS-compatible endpoint instead of AWS")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region [env AWS_DEFAULT_REGION]")] = None,
    burst: Annotated[bool, typer.Option(help="Stop once the queue is empty")] = False,
) -> None:
    """Apply the bucket's S3 event notifications from an SQS queue (until Ctrl-C)."""
    setup_logging()
    ctx = open_cli_context(data_dir)
    try:
        if ctx.storage.event_source() is None:
            raise BadRequest("the bucket is a local folder; set MEDIAQUERY_STORAGE_URL=s3://...")
        counts = listen_loop(ctx, sqs_client(endpoint_url, region), queue_url, burst=burst)
    except KeyboardInterrupt:
        counts = Counter()
    finally:
        ctx.close()
    typer.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "no messages")

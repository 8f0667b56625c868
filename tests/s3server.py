"""A local S3 endpoint for tests: moto's server mode on 127.0.0.1, one bucket, and the AWS
variables that point boto3/s3fs (in this process and in children) at it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

BUCKET = "odwatch-staging"


@contextlib.contextmanager
def local_s3() -> Iterator[dict[str, str]]:
    """Start moto's S3 server on a free loopback port with an empty bucket; yields the
    environment a process needs to use it (also set in os.environ while it runs)."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "odwatch-test",
        "AWS_SECRET_ACCESS_KEY": "odwatch-test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"]).create_bucket(Bucket=BUCKET)
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def objects(prefix: str = "") -> dict[str, int]:
    """Key -> size of what the bucket holds under `prefix`."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    got = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: o["Size"] for o in got}

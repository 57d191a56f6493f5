"""Schemathesis hooks for tests/it/schema.rs: a body documented as application/pdf
(POST /api/v1/verify takes any bytes) or application/timestamp-query (POST /api/v1/tsa,
a DER request) is sent as the bytes generated for it."""

import json

import schemathesis


def raw(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@schemathesis.serializer("application/pdf")
def pdf(ctx, value):
    return raw(value)


@schemathesis.serializer("application/timestamp-query")
def timestamp_query(ctx, value):
    return raw(value)

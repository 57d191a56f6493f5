"""Schemathesis hooks for tests/schema.rs: a body documented as application/pdf
(POST /api/v1/verify takes any bytes) is sent as the bytes generated for it."""

import json

import schemathesis


@schemathesis.serializer("application/pdf")
def pdf(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()

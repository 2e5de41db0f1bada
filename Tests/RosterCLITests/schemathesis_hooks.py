"""Lets schemathesis send NDJSON bodies (a push of signed operations): the
generated text as its bytes."""
import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    return value.encode() if isinstance(value, str) else str(value).encode()

"""Schemathesis hooks for scripts/contract.

A real client sends a fresh Idempotency-Key with each new request; schemathesis reuses small
generated values ("0") for different bodies, which the API rightly answers with 422
`idempotency_key_reused`. A generated key that is valid is replaced by a fresh one, so that a
schema-valid request is a new request. Invalid keys (negative tests) are left as generated.
"""
import uuid

import schemathesis


def _valid_key(value):
    return isinstance(value, str) and 1 <= len(value) <= 255 and all(0x20 <= ord(c) < 0x7F for c in value)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and _valid_key(headers[name]):
            headers[name] = f"contract-{uuid.uuid4()}"
    return None

"""The baseline server of bench_api: FastAPI on uvicorn, configured as `revops serve` is, whose
`POST /v1/leads` returns a constant without reading the body. The same load against it
measures what the framework, the HTTP stack and the load generator cost on their own.

    python -m benchmarks.api_baseline PORT
"""

from __future__ import annotations

import sys

from fastapi import FastAPI, Response

CONSTANT = (b'{"lead_id":"x","score":0.0,"assigned_to":null,"assigned_kind":"none","path":[],'
            b'"sla_due_at":null}')

app = FastAPI()


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.post("/v1/leads")
async def lead() -> Response:
    return Response(CONSTANT, media_type="application/json")


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)

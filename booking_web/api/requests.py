"""Test requests from partner systems: POST /api/v1/requests."""

from __future__ import annotations

from flask import g, jsonify

from booking_web.api import PARTNER, bp, json_body, require_key
from booking_web.context import db, now
from booking_web.services.lab_requests import create_request


@bp.post("/requests")
@require_key(PARTNER)
def post_request():  # type: ignore[no-untyped-def]
    data = json_body()
    row = create_request(
        session=db(),
        nhs_number=data.get("nhs_number"),
        tests=data.get("tests"),
        requester=data.get("requester"),
        api_key_id=g.api_key.id,
        now=now(),
    )
    return jsonify({"request_number": row.request_number}), 201

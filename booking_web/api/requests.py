"""Test requests from partner systems: POST /api/v1/requests."""

from __future__ import annotations

from typing import Any

from flask import g

from booking_web.api import PARTNER, answer, bp, idempotent, json_body, keyed, require_key
from booking_web.context import db, now
from booking_web.services.lab_requests import create_request
from shared.models import LabRequest


def _created(row: LabRequest) -> tuple[int, dict[str, Any]]:
    return 201, {"request_number": row.request_number}


@bp.post("/requests")
@require_key(PARTNER)
@idempotent
def post_request():  # type: ignore[no-untyped-def]
    data = json_body()
    row = create_request(
        session=db(),
        nhs_number=data.get("nhs_number"),
        tests=data.get("tests"),
        requester=data.get("requester"),
        api_key_id=g.api_key.id,
        now=now(),
        once=keyed(_created),
    )
    return answer(_created, row)

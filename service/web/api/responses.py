"""``/api/v1/campaigns/<code>/responses``: the answers, page by page, with a cursor; each page audited."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from service.responses import CursorError, decode_cursor, encode_cursor, record_read, responses_page
from service.web.api.base import api_token, bp, dump, fail, load, token_campaign
from service.web.api.schemas import ResponsePageSchema, ResponseQuerySchema
from service.web.database import db


@bp.get("/campaigns/<code>/responses")
def list_responses(code: str) -> ResponseReturnValue:
    campaign = token_campaign(code)
    query = load(ResponseQuerySchema(), request.args.to_dict())
    after = 0
    if query["cursor"]:
        try:
            after = decode_cursor(query["cursor"])
        except CursorError as exc:
            fail(422, "the request is not valid", {"cursor": [str(exc)]})
    session = db()
    rows, next_id = responses_page(
        session, campaign.id, after=after, limit=query["limit"], status=query["status"]
    )
    record_read(
        session,
        campaign,
        rows=len(rows),
        after=after,
        limit=query["limit"],
        status=query["status"],
        token_id=api_token().id,
    )
    session.commit()
    return dump(
        ResponsePageSchema(),
        {"items": rows, "next_cursor": encode_cursor(next_id) if next_id is not None else None},
    )

"""The e-mailed survey link for a ticket resolved while the customer was away."""

from __future__ import annotations

import re

from sqlalchemy import text

from .conftest import count_rows, hand_off


async def _resolved_offline_ticket(client, new_chat, make_staff, hub) -> tuple[str, str]:
    dana = await make_staff("dana@example.com", name="Dana")
    chat = await new_chat(customer={"email": "ann@example.com", "name": "Ann"})
    number = (await hand_off(client, chat, kind="offline"))["ticket"]["number"]
    await dana.post(f"/api/tickets/{number}/claim")
    await dana.post(f"/api/tickets/{number}/resolve", {"resolution": "We refunded you."})
    async with hub.engine.connect() as connection:
        payloads = (
            (await connection.execute(text("SELECT payload FROM outbox WHERE kind = 'email'")))
            .scalars()
            .all()
        )
    bodies = [p if isinstance(p, dict) else __import__("json").loads(p) for p in payloads]
    survey = [b for b in bodies if "/survey/" in b["body"]]
    assert len(survey) == 1 and survey[0]["to"] == "ann@example.com"
    assert "We refunded you." in survey[0]["body"]
    link = re.search(r"/survey/\S+", survey[0]["body"]).group(0)
    return number, link


async def test_emailed_survey_link_stores_the_rating(client, new_chat, make_staff, hub):
    number, link = await _resolved_offline_ticket(client, new_chat, make_staff, hub)
    page = await client.get(link)
    assert page.status == 200
    html = await page.text()
    assert number in html and 'name="csat"' in html
    response = await client.post(link, data={"csat": "2", "resolved": "no", "comment": "slow"})
    assert response.status == 200
    assert "Thank you" in await response.text()
    async with hub.engine.connect() as connection:
        row = (
            await connection.execute(text("SELECT csat, resolved, comment, stage FROM ratings"))
        ).one()
    assert tuple(row) == (2, False, "slow", "human")


async def test_survey_page_rejects_bad_answers_and_bad_links(client, new_chat, make_staff, hub):
    _, link = await _resolved_offline_ticket(client, new_chat, make_staff, hub)
    response = await client.post(link, data={"resolved": "yes"})
    assert response.status == 422
    response = await client.post(link, data={"csat": "9"})
    assert response.status == 422
    assert await count_rows(hub, "ratings") == 0
    assert (await client.get("/survey/not-a-real-token")).status == 404

"""The result in the hall: the certified result, read-only, on a projector.

``GET /hall`` needs no login: it is for the room, on the station's network.
It shows something only once the count is certified and the chair has
switched it on (`pipeline.web.routes.chair`, ``POST /chair/hall``); else it
answers 404, so nothing leaks before the committee announces. Long lists are
cut into screens of `PER_SCREEN` people that ``static/hall.js`` turns through
on its own.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from pipeline.web.auth import StationDep

PER_SCREEN = 5  # people on one screen at 1280x720 in the hall's type size
SECONDS_A_SCREEN = 12

router = APIRouter()


@router.get("/hall", response_class=HTMLResponse)
def hall(request: Request, st: StationDep) -> Response:
    certified = st.ws.store.certified_at()
    if certified is None or not st.hall_open:
        raise HTTPException(404)
    tally = st.ws.tally()
    people = list(tally.candidates)
    screens = [people[i:i + PER_SCREEN] for i in range(0, len(people), PER_SCREEN)] or [[]]
    return st.render(request, "hall.html", None, tally=tally, screens=screens,
                     certified=certified, rules=st.ws.campaign.rules,
                     seconds=SECONDS_A_SCREEN)

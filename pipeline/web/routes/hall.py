"""The result in the hall: the certified result, read-only, on a projector.

``GET /hall`` needs no login: it is for the room, on the station's network.
It shows something only once the count is certified and the chair has
switched it on (`pipeline.web.routes.chair`, ``POST /chair/hall``); else it
answers 404, so nothing leaks before the committee announces. A list longer
than the screen is cut by ``static/hall.js`` into screens that fit the
window, turned every `SECONDS_A_SCREEN` seconds on their own. The switch is kept
with the records (`pipeline.store.hall`, `Station.hall_open`): it stays as the chair
left it when the station restarts, and every station process on the records agrees.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from pipeline.web.auth import StationDep

SECONDS_A_SCREEN = 12

router = APIRouter()


@router.get("/hall", response_class=HTMLResponse)
def hall(request: Request, st: StationDep) -> Response:
    certified = st.ws.store.certified_at()
    if certified is None or not st.hall_open:
        raise HTTPException(404)
    return st.render(request, "hall.html", None, tally=st.ws.tally(), certified=certified,
                     rules=st.ws.campaign.rules, seconds=SECONDS_A_SCREEN)

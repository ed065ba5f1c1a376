"""The pictures people decide on: a review item's row or page, the three boxes enlarged,
a stored page upright. JPEG, only for logged-in people, never cached by the browser.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures' annotations.
"""

from fastapi import APIRouter
from fastapi.responses import Response

from pipeline.documents.images import ZOOM_PX_PER_MM, review_picture, row_view
from pipeline.web.auth import ApiUser, StationDep
from pipeline.web.routes import ItemId, PageId
from pipeline.workflow.review import ItemNotFound

router = APIRouter()


@router.get("/items/{item_id}/crop.jpg")
def item_crop(item_id: ItemId, session: ApiUser, st: StationDep) -> Response:
    item = st.queue.get(item_id)
    page = st.page_record(item.page_id)
    twin = st.page_record(item.same_as) if item.same_as is not None else None
    if (item.kind == "row" and page["homography"] and item.ballot_page) or twin is not None:
        data = review_picture(st.images, st.ws.layout, item, page, twin)
    else:
        data = st.upright(item.page_id)
    return Response(data, media_type="image/jpeg")


@router.get("/items/{item_id}/boxes.jpg")
def item_boxes(item_id: ItemId, session: ApiUser, st: StationDep) -> Response:
    item = st.queue.get(item_id)
    page = st.page_record(item.page_id)
    if item.kind != "row" or not page["homography"] or not item.ballot_page:
        raise ItemNotFound(f"item {item_id} is not a row")
    view = row_view(st.ws.layout, item.ballot_page, item.candidate, boxes_only=True)
    return Response(st.images.row_jpeg(page["image_path"], page["homography"], view,
                                       ZOOM_PX_PER_MM), media_type="image/jpeg")


@router.get("/pages/{page_id}/upright.jpg")
def page_image(page_id: PageId, session: ApiUser, st: StationDep) -> Response:
    return Response(st.upright(page_id), media_type="image/jpeg")

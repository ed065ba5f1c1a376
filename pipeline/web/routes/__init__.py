"""The station's pages, one router a group: `queue` (deciding items), `pictures` (the
images people decide on), `browse` (dashboard and stored pages), `upload`, `stacks`.

Numbers in paths (`PageId`, `ItemId`, `StackId`) are checked before they reach the records:
one beyond any id the database can hold answers 404, like any id that is not there.

No ``from __future__ import annotations`` here: FastAPI reads the annotations.
"""

from typing import Annotated

from fastapi import Depends

from pipeline.workflow.review import ItemNotFound

LARGEST_ID = 2**62  # below SQLite's and PostgreSQL's largest integer


def _page_id(page_id: int) -> int:
    if not 0 < page_id < LARGEST_ID:
        raise ItemNotFound(f"no page {page_id}")
    return page_id


def _item_id(item_id: int) -> int:
    if not 0 < item_id < LARGEST_ID:
        raise ItemNotFound(f"there is no review item {item_id}")
    return item_id


def _stack_id(stack_id: int) -> int:
    if not 0 < stack_id < LARGEST_ID:
        raise ItemNotFound(f"no stack {stack_id}")
    return stack_id


PageId = Annotated[int, Depends(_page_id)]
ItemId = Annotated[int, Depends(_item_id)]
StackId = Annotated[int, Depends(_stack_id)]

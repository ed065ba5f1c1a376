"""The hall switch: whether the certified result shows at ``/hall`` (the web station).

The chair switches it on and off; each switch is a row of ``hall_log`` (who, when),
never updated, and the latest row is the switch's state (off when there is none). It is
kept with the records, so it outlives a restart of ``kiemphieu serve`` and every station
process on the same records reads the same.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from pipeline.store.schema import hall_log_table
from pipeline.store.store import Store, now


class HallStore:
    """The hall switch of one workspace's records (`Store`)."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        self.campaign_id = store.campaign_id

    def is_open(self) -> bool:
        """Whether the chair's latest switch turned the hall page on."""
        with self.engine.connect() as conn:
            latest = conn.execute(
                select(hall_log_table.c.open)
                .where(hall_log_table.c.campaign_id == self.campaign_id)
                .order_by(hall_log_table.c.id.desc()).limit(1)).scalar()
        return bool(latest)

    def switch(self, open_: bool, by: str) -> None:
        """Record the chair ``by`` switching the hall page on (``open_``) or off."""
        with self.engine.begin() as conn:
            conn.execute(insert(hall_log_table).values(
                campaign_id=self.campaign_id, open=open_, by=by, at=now()))

"""The breakdown as people read it: a table on the terminal, in the run's language.

It fits 80 columns: each person's position goes under the name, each count over its
percentage, and the long headers wrap; nothing is cut off.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from pipeline.cli.console import lang, say
from pipeline.domain.rules import LEVELS
from pipeline.domain.tally import Tally
from pipeline.domain.wording import t


def print_tally(console: Console, tally: Tally) -> None:
    lg = lang()
    base_label = t("base_electorate" if tally.rules == "nq85-2014" else "base_collected", lg)
    console.print(say("cli_tally_title", campaign=tally.campaign, rules=tally.rules),
                  soft_wrap=False)
    issued = say("cli_not_declared") if tally.issued is None else str(tally.issued)
    console.print(say("cli_tally_ballots", issued=issued, collected=tally.collected,
                      accepted=tally.accepted, rejected=tally.rejected,
                      duplicate=tally.duplicate, blank=tally.blank_pages), soft_wrap=False)
    if tally.invalid_ballots or tally.withdrawn:
        console.print(say("cli_tally_decided", invalid=tally.invalid_ballots,
                          withdrawn=tally.withdrawn), soft_wrap=False)
    console.print(say("cli_tally_base", label=base_label, base=tally.base), soft_wrap=False)
    if not tally.quorum_met:
        console.print(say("cli_tally_quorum"), style="bold red", soft_wrap=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), show_lines=True)
    # below 120 columns the figures' columns are as narrow as their figures ("70,59%"), their
    # headers wrapped; the name and position take the rest of the width
    narrow = 7 if console.width < 120 else None
    table.add_column(t("stt", lg), justify="right", width=3)
    table.add_column(say("cli_tally_person"), overflow="fold")
    for lv in LEVELS:
        table.add_column(t(lv, lg), justify="right", width=narrow)
    table.add_column(t("invalid", lg), justify="right", width=narrow)
    table.add_column(t("consequence", lg), width=11 if narrow else None)
    for c in tally.candidates:
        cells = []
        for lv in LEVELS:
            pct = c.percent[lv]
            cells.append(str(c.counts[lv]) if pct is None else
                         say("cli_tally_cell", n=c.counts[lv], pct=pct))
        person = f"{c.name}\n[dim]{c.position}[/]" if c.position else c.name
        if c.pending:
            person += "\n" + say("cli_tally_person_pending", n=c.pending)
        table.add_row(str(c.candidate), person, *cells, str(c.counts["invalid"]),
                      t(c.consequence, lg) if c.consequence else "")
    console.print(table)
    if tally.pending_review:
        console.print(say("cli_tally_pending", n=tally.pending_review), style="bold yellow",
                      soft_wrap=False)

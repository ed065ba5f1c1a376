"""The breakdown as people read it: a table on the terminal, in the run's language.

It fits 80 columns: each person's position goes under the name, each count over its
percentage, and the long headers wrap; nothing is cut off. People are listed by group
when the campaign has groups; a campaign of several ballot forms has a line per form.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pipeline.cli.console import lang, say
from pipeline.domain.rules import KIND_FOLLOW_UP
from pipeline.domain.tally import Tally, by_group
from pipeline.domain.wording import t


def print_tally(console: Console, tally: Tally) -> None:
    lg = lang()
    follow_up = tally.kind == KIND_FOLLOW_UP
    base_label = t("base_electorate" if tally.rules == "nq85-2014" or follow_up
                   else "base_collected", lg)
    console.print(say("cli_tally_title_follow_up" if follow_up else "cli_tally_title",
                      campaign=tally.campaign, rules=tally.rules), soft_wrap=False)
    none = say("cli_not_declared")
    issued = none if tally.issued is None else str(tally.issued)
    console.print(say("cli_tally_ballots", issued=issued, collected=tally.collected,
                      accepted=tally.accepted, rejected=tally.rejected,
                      duplicate=tally.duplicate, blank=tally.blank_pages), soft_wrap=False)
    if tally.invalid_ballots or tally.withdrawn:
        console.print(say("cli_tally_decided", invalid=tally.invalid_ballots,
                          withdrawn=tally.withdrawn), soft_wrap=False)
    console.print(say("cli_tally_base", label=base_label, base=tally.base), soft_wrap=False)
    for f in tally.forms if len(tally.forms) > 1 else ():
        console.print(say("cli_tally_form", form=f.id, paper=f" ({f.paper})" if f.paper else "",
                          issued=none if f.issued is None else f.issued, collected=f.collected,
                          accepted=f.accepted, base=f.base), soft_wrap=False)
    if not tally.quorum_met:
        console.print(say("cli_tally_quorum"), style="bold red", soft_wrap=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), show_lines=True)
    # below 120 columns the figures' columns are as narrow as their figures ("70,59%"), their
    # headers wrapped; the name and position take the rest of the width
    narrow = 7 if console.width < 120 else None
    table.add_column(t("stt", lg), justify="right", width=3)
    table.add_column(say("cli_tally_person"), overflow="fold")
    for lv in tally.levels:
        table.add_column(t(lv, lg), justify="right", width=narrow)
    table.add_column(t("invalid", lg), justify="right", width=narrow)
    table.add_column(t("consequence", lg), width=11 if narrow else None)
    groups = by_group(tally)
    for g, people in groups:
        if len(groups) > 1 or g is not None:
            table.add_row("", f"[bold]{escape((g or {}).get('name') or t('ungrouped', lg))}[/]")
        _add_rows(table, tally, people)
    console.print(table)
    if tally.pending_review:
        console.print(say("cli_tally_pending", n=tally.pending_review), style="bold yellow",
                      soft_wrap=False)


def _add_rows(table: Table, tally: Tally, people: list) -> None:
    lg = lang()
    for c in people:
        cells = []
        for lv in tally.levels:
            pct = c.percent[lv]
            # the one compact percentage a person reads ("70,59%", no space before the sign):
            # below 120 columns a figure's column is 7 characters wide, and "100,00 %" would
            # not fit on its line; everywhere else a percentage is "70,59 %" (`wording.percent`)
            cells.append(str(c.counts[lv]) if pct is None else
                         say("cli_tally_cell", n=c.counts[lv], pct=pct))
        person = escape(c.name) + (f"\n[dim]{escape(c.position)}[/]" if c.position else "")
        if c.pending:
            person += "\n" + say("cli_tally_person_pending", n=c.pending)
        table.add_row(str(c.candidate), person, *cells, str(c.counts["invalid"]),
                      t(c.consequence, lg) if c.consequence else "")

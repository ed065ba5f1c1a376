"""End-to-end accuracy of mark reading: simulated voted ballots through the real CLI.

Run: ``.venv/bin/python benchmarks/accuracy.py [--ballots N] [--work DIR]
[--presets CLEAN,OFFICE,...] [--reuse]``.

For each scanner preset this prints ballots with `pipeline.simulate`
(campaign ``samples/seed-002-hdnd-ninhson.yaml``, 18 candidates on two
pages; the ``LONG`` presets ``samples/long-40-hdnd-tinh.yaml``, 40 on three
pages), marks them with every clear shape (X, tick, fill, slash, ring around
the box) in every pen (black, blue, red, pencil) at 0.3-1.2 mm, plus
doubtful rows (hesitation dot, tiny tick, a mark scribbled out beside a new
one), scans them in the preset's file formats, runs ``kiemphieu new`` and
``kiemphieu scan --jsonl`` and compares each row with the truth.

A *clear row* is one whose truth is ``vote``, ``blank`` or ``overvote``; a
*doubtful row* one whose truth is ``review``. Per preset it reports clear
rows read wrong (any other outcome or level than the truth, except
``review``), clear rows sent to review, doubtful rows caught (read
``review``) and, apart, clear rows sent to review because a scanner streak
crosses their boxes (``streaked``: the fault found, as it must be; ``all%`` counts them with the rest),
and among the clear rows sent to review those of two marks with one box inked over
(``blacked``: a correction or two votes, left to a person on purpose). The
``NOTES`` presets also write notes outside the boxes (`sim.NOTE_KINDS`):
beside a row (a doubtful row) and, on a page in four, in a margin away from
the rows, whose truth is a doubt about the page; for those it reports the
pages with a margin note, how many got a "handwriting" doubt, and pages
given such a doubt without one (on every preset). Then it lists every wrong
row and every clear row sent to review with the marks drawn, and every
doubtful row or margin note missed. Cases are written under ``--work`` (default
``/tmp/kiemphieu-accuracy``) as ``<preset>/case`` with ``truth.json``;
``--reuse`` reads existing cases again (after a change to the reader)
instead of making them anew. The same seed gives the same cases.

The handled presets (`HANDLING`: ``SEALED`` to ``HANDLED_PHONE``) stamp the body's seal by
hand on first pages (a photocopy's black one on some), fold corners over (dog-ears up to
28 mm), feed pages sideways or skewed past the scan area (corners cut off), alone and
together. ``status`` counts pages whose status is not the truth's (a ballot refused);
``seals`` the seals stamped, ``s.doubt`` the first pages that should be doubted for their
seal (none stamped where `SEAL_REQUIRED` campaigns require it; black in a colour scan,
whatever the campaign says: ``SEALED_COLOUR_OPTIONAL`` is ``SEALED_COLOUR`` with the seal
optional), ``found`` those doubted, ``false`` pages doubted for a seal they have.

The counting-room presets (``LID_OPEN`` to ``SUNLIT_PENCIL_PHONE``, added last so that the
others keep their cases) are conditions the reader was not built on: black beyond the
sheet (a flatbed's lid left open), scans exposed dark or washed out, a copier's JPEG at
quality 25, tea spilt and dried on the sheet (`sim.Handling.stain`), a phone photo's hand
shadow sharp in sunlight; alone and with light pencil, tinted paper, seals and dog-ears.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import result_file

import simulator as sim
from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = ROOT / "samples" / "seed-002-hdnd-ninhson.yaml"
#: 40 people on three pages (12, 16, 12 rows): the LONG presets' ballot.
LONG_CAMPAIGN = ROOT / "samples" / "long-40-hdnd-tinh.yaml"

#: Presets with the file formats their pages are written in.
PRESETS: dict[str, tuple[sim.ScanProfile, tuple[str, ...]]] = {
    "CLEAN": (sim.CLEAN, ("png", "tiff-grey", "pdf-jpeg")),
    "OFFICE": (sim.OFFICE, ("png", "pdf-jpeg", "jpeg")),
    "COLOUR_150": (sim.COLOUR_150, ("jpeg", "pdf-jpeg")),
    "BITONAL": (sim.BITONAL, ("tiff-g4", "pdf-g4")),
    "BITONAL_300": (replace(sim.BITONAL, dpi=300, quarter_turns=(0, 2)), ("tiff-g4", "pdf-g4")),
    "BITONAL_150": (replace(sim.BITONAL, dpi=150, quarter_turns=(0, 2)), ("tiff-g4",)),
    "ROUGH": (sim.ROUGH, ("jpeg", "png")),
    "STREAKED": (sim.STREAKED, ("png", "pdf-jpeg")),
    "PHONE": (sim.PHONE, ("jpeg",)),
    "WORN": (sim.WORN, ("png", "pdf-jpeg")),
    "SPILL": (replace(sim.OFFICE, quarter_turns=(0,)), ("png",)),
    "NOTES": (sim.OFFICE, ("png", "pdf-jpeg")),
    "NOTES_ROUGH": (sim.ROUGH, ("jpeg",)),
    "NOTES_300": (sim.CLEAN, ("png", "jpeg")),
    "NOTES_PHONE": (sim.PHONE, ("jpeg",)),
    "SPILL_300": (replace(sim.CLEAN, quarter_turns=(0,)), ("png", "jpeg")),
    "LONG": (sim.OFFICE, ("png", "pdf-jpeg", "tiff-grey")),
    "LONG_BITONAL": (sim.BITONAL, ("tiff-g4", "pdf-g4")),
    "LONG_PHONE": (sim.PHONE, ("jpeg",)),
    "PHONE_HARSH": (sim.HARSH_PHONE, ("jpeg",)),
    "NOTES_PHONE_HARSH": (sim.HARSH_PHONE, ("jpeg",)),
    "STREAKED_SIDEWAYS": (sim.STREAKED_SIDEWAYS, ("png", "tiff-grey")),
    "STREAKED_BITONAL": (sim.STREAKED_BITONAL, ("tiff-g4", "pdf-g4")),
    # -- handled sheets: seals, dog-ears, pages fed sideways or skewed past the scan area --
    "SEALED": (sim.OFFICE, ("png", "pdf-jpeg")),
    "SEALED_COLOUR": (replace(sim.COLOUR_150, dpi=200), ("jpeg", "pdf-jpeg")),
    "DOG_EARED": (sim.OFFICE, ("png", "tiff-grey")),
    "SIDEWAYS": (replace(sim.OFFICE, quarter_turns=(1, 3)), ("png", "pdf-jpeg")),
    "CUT_CORNERS": (replace(sim.OFFICE, skew_deg=5.0, shift_mm=4.0), ("png", "pdf-jpeg")),
    "HANDLED_SIDEWAYS": (replace(sim.OFFICE, quarter_turns=(1, 3)), ("png",)),
    "HANDLED_CUT_BITONAL": (replace(sim.BITONAL, skew_deg=4.0, shift_mm=3.0,
                                    quarter_turns=(0, 2)), ("tiff-g4", "pdf-g4")),
    "HANDLED_ROUGH": (replace(sim.ROUGH, border_mm=0.0), ("jpeg",)),
    "HANDLED_PHONE": (sim.PHONE, ("jpeg",)),
}

#: Presets printed from `LONG_CAMPAIGN`; the rest from `CAMPAIGN`.
LONG = {"LONG", "LONG_BITONAL", "LONG_PHONE"}

#: Presets whose voters also let a mark run on into the neighbouring box (`sim.SPILL`).
SPILLING = {"SPILL", "SPILL_300"}
#: Presets whose voters also write notes outside the boxes: beside rows and in margins.
NOTING = {"NOTES", "NOTES_ROUGH", "NOTES_300", "NOTES_PHONE", "NOTES_PHONE_HARSH"}
NOTE_VOTES = sim.VoteMix(high=0.42, medium=0.14, low=0.14, blank=0.05, overvote=0.05,
                         review=0.12, note=0.08)
#: Share of ballot pages of the NOTES presets with a note in a margin.
MARGIN_NOTES = 0.25

#: How the sheets of the handled presets were handled before the scan (`sim.Handling`): a
#: seal stamped by hand on most first pages (some a photocopy's black one), corners folded
#: over by up to 28 mm; the rest as they came from the printer.
HANDLING = {
    "SEALED": sim.Handling(seal=0.85),
    "SEALED_COLOUR": sim.Handling(seal=0.85, seal_black=0.25),
    "SEALED_COLOUR_OPTIONAL": sim.Handling(seal=0.85, seal_black=0.25),
    "DOG_EARED": sim.Handling(dog_ear=1.0),
    "HANDLED_SIDEWAYS": sim.Handling(seal=0.9, dog_ear=0.6),
    "HANDLED_CUT_BITONAL": sim.Handling(seal=0.9, dog_ear=0.5),
    "HANDLED_ROUGH": sim.Handling(seal=0.9, seal_black=0.2, dog_ear=0.5),
    "HANDLED_PHONE": sim.Handling(seal=0.85, seal_black=0.2, dog_ear=0.8,
                                  dog_ear_background=110),  # the desk shows, not a lid
}
#: Presets whose campaign says ``seal: required``: a first page without the seal is doubted.
SEAL_REQUIRED = {"SEALED", "SEALED_COLOUR", "HANDLED_PHONE"}
# --- ink: coloured paper, faded toner, light pencil, hand shadows, the doubtful cases
# scanned grey, colour and 1-bit, streaks; and their combinations ---------------------
#: The four colours ballot forms are printed on (`sim.PAPER_COLOURS`).
TINTED = ("pink", "blue", "yellow", "green")
#: A printer short of toner: the print at 40-75 % of its darkness, and a band down the
#: page (a worn drum) at 40-80 % of that again.
_FADED = {"toner": (0.4, 0.75), "toner_band": (0.4, 0.8)}
#: 200 dpi colour from a copier at JPEG 75 (the grey profiles' colour twin).
_COLOUR_200 = replace(sim.COLOUR_150, dpi=200, jpeg_quality=75, blur_mm=(0.03, 0.06))
INK_PRESETS: dict[str, tuple[sim.ScanProfile, tuple[str, ...]]] = {
    "PAPER_COLOUR": (replace(_COLOUR_200, paper_colours=TINTED), ("jpeg", "pdf-jpeg")),
    "PAPER_GREY": (replace(sim.OFFICE, paper_colours=TINTED), ("png", "jpeg")),
    "PAPER_BITONAL": (replace(sim.BITONAL, paper_colours=TINTED), ("tiff-g4",)),
    "FADED": (replace(sim.OFFICE, **_FADED), ("png", "pdf-jpeg")),
    "FADED_BITONAL": (replace(sim.BITONAL, **_FADED), ("tiff-g4",)),
    "PENCIL": (sim.OFFICE, ("png", "jpeg")),
    "PENCIL_300": (sim.CLEAN, ("png", "tiff-grey")),
    "PENCIL_COLOUR": (_COLOUR_200, ("jpeg",)),
    "PENCIL_PHONE": (sim.PHONE, ("jpeg",)),
    "PHONE_SHADOW": (replace(sim.PHONE, hand_shadow=1.0), ("jpeg",)),
    "DOUBT_GREY": (replace(sim.OFFICE, quarter_turns=(0,)), ("png",)),
    "DOUBT_COLOUR": (replace(_COLOUR_200, quarter_turns=(0,)), ("jpeg",)),
    "DOUBT_BITONAL": (sim.BITONAL, ("tiff-g4",)),
    "PINK_PENCIL_GREY": (replace(sim.OFFICE, paper_colours=("pink",)), ("png", "jpeg")),
    "FADED_PENCIL_GREY": (replace(sim.OFFICE, **_FADED), ("png",)),
    "TINTED_PENCIL_PHONE_SHADOW": (replace(sim.PHONE, hand_shadow=1.0, paper_colours=TINTED),
                                   ("jpeg",)),
    "TINTED_FADED_STREAKED": (replace(sim.STREAKED, paper_colours=TINTED, **_FADED), ("png",)),
}
#: Presets whose voters mark with a pencil held lightly (`sim.PENS["pencil_light"]`): an X,
#: a tick or a ring, as a person reads at a glance.
LIGHT_PENCIL = sim.MarkMix(shapes=(("x", 0.45), ("tick", 0.4), ("circle", 0.15)),
                           pens=(("pencil_light", 0.8), ("pencil", 0.2)), width_mm=(0.3, 0.8))
INK_MARKS = {n: LIGHT_PENCIL for n in ("PENCIL", "PENCIL_300", "PENCIL_COLOUR", "PENCIL_PHONE",
                                       "PINK_PENCIL_GREY", "FADED_PENCIL_GREY",
                                       "TINTED_PENCIL_PHONE_SHADOW")}
#: Presets made for the doubtful cases: two rows in five hold one.
DOUBT_VOTES = sim.VoteMix(high=0.3, medium=0.1, low=0.1, blank=0.05, overvote=0.05, review=0.4)
INK_VOTES = {"DOUBT_GREY": DOUBT_VOTES, "DOUBT_COLOUR": DOUBT_VOTES,
             "DOUBT_BITONAL": DOUBT_VOTES}
PRESETS.update(INK_PRESETS)
#: Added last, so that every other preset keeps its cases for a seed: ``SEALED_COLOUR`` with
#: the seal optional (a black one is doubted all the same), and faded toner or streaks
#: scanned 1-bit with one threshold for the page (`sim.GLOBAL_BITONAL`: pale print drops
#: out, a grey streak breaks into dashes).
PRESETS.update({
    "SEALED_COLOUR_OPTIONAL": (replace(sim.COLOUR_150, dpi=200), ("jpeg", "pdf-jpeg")),
    "FADED_GLOBAL_BITONAL": (replace(sim.GLOBAL_BITONAL, **_FADED), ("tiff-g4",)),
    "STREAKED_GLOBAL_BITONAL": (replace(sim.STREAKED_BITONAL, bitonal="global"),
                                ("tiff-g4", "pdf-g4")),
})
# --- end of the ink presets ------------------------------------------------------------
# --- what a counting room also meets: an open lid, a dark or washed-out exposure, a poor
# copier JPEG, spilt tea; alone and with the conditions above -----------------------------
#: A flatbed with its lid open (or a feeder's black backing): black beyond the sheet, up to
#: 6 mm of it, the sheet skewed up to 4 degrees on it.
_LID_OPEN = replace(sim.OFFICE, border_mm=6.0, backing=(0.03, 0.2), skew_deg=4.0,
                    shift_mm=3.0, scale=(1.0, 1.0))
#: The scanner's exposure set dark, or recycled grey paper: paper at 60-75 % white, black
#: lifted to 12-25 %.
_DARK = replace(sim.OFFICE, paper=(0.6, 0.75), ink=(0.12, 0.25))
#: Washed out: paper clipped white, the print's black at 35-50 % (a light setting).
_WASHED = replace(sim.OFFICE, paper=(0.99, 1.0), ink=(0.35, 0.5))
PRESETS.update({
    "LID_OPEN": (_LID_OPEN, ("png", "jpeg")),
    "LID_OPEN_BITONAL": (replace(sim.BITONAL, border_mm=6.0, backing=(0.03, 0.2),
                                 skew_deg=4.0, shift_mm=3.0, scale=(1.0, 1.0)), ("tiff-g4",)),
    "DARK_SCAN": (_DARK, ("png", "jpeg")),
    "WASHED_SCAN": (_WASHED, ("png", "jpeg")),
    "POOR_JPEG": (replace(sim.COLOUR_150, jpeg_quality=25, blur_mm=(0.05, 0.1)),
                  ("jpeg", "pdf-jpeg")),
    "STAINED": (sim.OFFICE, ("png", "jpeg")),
    "STAINED_COLOUR": (_COLOUR_200, ("jpeg",)),
    "DARK_PINK_PENCIL": (replace(_DARK, paper_colours=("pink", "blue")), ("png",)),
    "WASHED_STAINED_PENCIL": (_WASHED, ("jpeg",)),
    "LID_OPEN_HANDLED": (_LID_OPEN, ("png",)),
    # photographed by a window in direct sunlight: the hand's or phone's shadow sharp, its
    # edge over 1-2 mm
    "SUNLIT_PHONE": (replace(sim.PHONE, hand_shadow=1.0, hand_shadow_edge_mm=(1.0, 2.0)),
                     ("jpeg",)),
    "SUNLIT_PENCIL_PHONE": (replace(sim.PHONE, hand_shadow=1.0, hand_shadow_edge_mm=(1.0, 2.0),
                                    paper_colours=TINTED), ("jpeg",)),
})
HANDLING.update({
    "STAINED": sim.Handling(stain=1.0),
    "STAINED_COLOUR": sim.Handling(stain=1.0),
    "WASHED_STAINED_PENCIL": sim.Handling(stain=0.6),
    "LID_OPEN_HANDLED": sim.Handling(seal=0.9, seal_black=0.2, dog_ear=0.6,
                                     dog_ear_background=25),  # the open lid shows black
})
INK_MARKS.update({n: LIGHT_PENCIL for n in ("DARK_PINK_PENCIL", "WASHED_STAINED_PENCIL",
                                             "SUNLIT_PENCIL_PHONE")})
# --- end of the counting-room presets --------------------------------------------------



def marks(loyalty: float, spill: bool = False) -> sim.MarkMix:
    """Every clear shape and pen equally often (with ``spill``, a tick running on into
    the next box as often as the rest together); each voter keeps one shape on
    ``loyalty`` of the rows (the simulator's default 0.9: one hand, one habit)."""
    shapes = tuple((s, 1.0) for s in sim.CLEAR_SHAPES)
    if spill:
        shapes += ((sim.SPILL, float(len(sim.CLEAR_SHAPES))),)
    return sim.MarkMix(
        shapes=shapes,
        pens=tuple((p, 1.0) for p in sim.STRESS_PENS),
        width_mm=(0.3, 1.2),
        loyalty=loyalty,
    )


VOTES = sim.VoteMix(high=0.45, medium=0.15, low=0.15, blank=0.05, overvote=0.05, review=0.15)


#: ``--population everyday``: the simulator's own voters (`pipeline.simulate.VoteMix` and
#: `MarkMix` defaults: 2% overvotes, 8% of marks a filled box, mostly X and ticks in blue or
#: black), with 5% doubtful rows, instead of the stress mix above (every shape and pen alike,
#: 5% overvotes, 15% doubtful rows)
EVERYDAY_VOTES = sim.VoteMix(review=0.05)


def make_case(name: str, ballots: int, seed: int, work: Path, loyalty: float,
              population: str = "stress") -> Path:
    """Simulate and write one preset's case; returns its folder."""
    profile, formats = PRESETS[name]
    if population == "everyday":
        votes, mark_mix = EVERYDAY_VOTES, replace(sim.MarkMix(), loyalty=loyalty)
    else:
        votes = NOTE_VOTES if name in NOTING else INK_VOTES.get(name, VOTES)
        mark_mix = marks(loyalty, name in SPILLING)
        if name in INK_MARKS:
            mark_mix = replace(INK_MARKS[name], loyalty=loyalty)
    campaign = load_campaign(campaign_file(name, work))
    layout = build_layout(campaign)
    stack = sim.simulate_stack(
        campaign, layout, ballots, np.random.default_rng([seed, list(PRESETS).index(name)]),
        profile=profile,
        vote_model=sim.VoteModel(mix=votes, marks=mark_mix,
                                 margin_notes=MARGIN_NOTES if name in NOTING else 0.0),
        handling=HANDLING.get(name),
    )
    case = work / name / "case"
    if case.exists():
        shutil.rmtree(case)
    sim.write_case(case, stack, formats)
    return case


def campaign_file(name: str, work: Path) -> Path:
    """The preset's campaign file: a copy saying ``seal: required`` for `SEAL_REQUIRED`."""
    base = LONG_CAMPAIGN if name in LONG else CAMPAIGN
    if name not in SEAL_REQUIRED:
        return base
    sealed = work / name / "campaign-seal-required.yaml"
    sealed.parent.mkdir(parents=True, exist_ok=True)
    sealed.write_text(base.read_text(encoding="utf-8") + "\nseal: required\n", encoding="utf-8")
    return sealed


def run_scan(name: str, work: Path) -> list[dict]:
    """``kiemphieu new`` + ``kiemphieu scan --jsonl`` on a written case."""
    exe = Path(sys.executable).with_name("kiemphieu")
    ws, out = work / name / "ws", work / name / "out.jsonl"
    if ws.exists():
        shutil.rmtree(ws)
    subprocess.run([str(exe), "new", str(campaign_file(name, work)), "--dir", str(ws)], check=True,
                   capture_output=True)
    subprocess.run([str(exe), "scan", str(ws), str(work / name / "case"), "--jsonl", str(out)],
                   check=True, capture_output=True)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def compare(name: str, work: Path, got: list[dict]) -> dict:
    """Row-by-row comparison of a scan's JSONL with the case's truth."""
    case = work / name / "case"
    truth = sim.read_truth(case / "truth.json")
    stats: Counter[str] = Counter()
    wrong: list[str] = []
    to_review: list[str] = []
    missed: list[str] = []
    for page in got:
        rel = Path(page["source"]).relative_to(case).as_posix()
        t = truth[(rel, page["page_index"])]
        stats["pages"] += 1
        if page["status"] != t["status"]:
            stats["page_status_wrong"] += 1
            wrong.append(f"page {rel}#{page['page_index']}: {t['status']} read {page['status']} "
                         f"({page.get('reason')})")
            continue
        if page["status"] != "accepted":
            continue
        _seal(name, page, t, stats, missed, wrong, f"{rel}#{page['page_index']}")
        noted = [d for d in page.get("doubts", []) if d.startswith("handwriting")]
        if t.get("page_doubt"):  # absent from truth files without notes
            stats["margin_notes"] += 1
            if noted:
                stats["margin_notes_found"] += 1
            else:
                missed.append(f"{rel}#{page['page_index']}: note in a margin not found "
                              f"{[n for n in t.get('notes', []) if n['candidate'] is None]}")
        elif noted:
            stats["false_note_doubts"] += 1
            wrong.append(f"{rel}#{page['page_index']}: page doubted for no note: {noted}")
        expected = {r["candidate"]: r for r in t["rows"]}
        for row in page["rows"]:
            e = expected[row["candidate"]]
            marks = ", ".join(f"{m['level']}:{m['shape']}/{m['pen']}/{m['width_mm']:.2f}"
                              for m in e["marks"]) or "none"
            if e.get("note"):
                marks += f", note:{e['note']}"
            where = (f"{rel}#{page['page_index']} cand {row['candidate']}: [{marks}] "
                     f"expected {e['outcome']} {e['level'] or ''} -> {row['outcome']} "
                     f"{row['level'] or ''} {row.get('reason') or ''}")
            if e["outcome"] == "review":
                stats["doubtful"] += 1
                if row["outcome"] == "review":
                    stats["doubtful_caught"] += 1
                else:
                    missed.append(where)
                continue
            stats["clear"] += 1
            stats["clear_marked"] += bool(e["marks"])
            if (row["outcome"] == "review" and PRESETS[name][0].streak > 0
                    and (row.get("reason") or "").startswith("scanner streak")):
                stats["streak_review"] += 1  # a fault found: the row must go to a person
            elif row["outcome"] == "review":
                stats["clear_review"] += 1
                # two marks, one box inked over: a correction or two votes, a person's call
                stats["clear_review_blacked"] += "blacked out" in (row.get("reason") or "")
                to_review.append(where)
            elif (row["outcome"], row["level"]) != (e["outcome"], e["level"]):
                stats["clear_wrong"] += 1
                wrong.append(where)
    return {"preset": name, **stats, "wrong": wrong, "to_review": to_review, "missed": missed}


def _seal(name: str, page: dict, t: dict, stats: Counter[str], missed: list[str],
          wrong: list[str], where: str) -> None:
    """The seal's doubt on an accepted page against its truth: expected where the campaign
    requires the seal and none was stamped, and wherever a black one is scanned in colour."""
    said = [d for d in page.get("doubts", []) if d.startswith(("no seal", "the seal is not"))]
    seal = t.get("seal", "")
    colour = PRESETS[name][0].colour == "rgb"
    expected = t.get("ballot_page") == 1 and (
        (name in SEAL_REQUIRED and not seal) or (colour and seal == "black"))
    stats["seals"] += seal != ""
    if expected:
        stats["seal_doubts"] += 1
        if said:
            stats["seal_doubts_found"] += 1
        else:
            missed.append(f"{where}: seal {seal or 'none'} not doubted")
    elif said:
        stats["false_seal_doubts"] += 1
        wrong.append(f"{where}: seal {seal or 'none'} doubted: {said}")


def _one(args: tuple[str, int, int, Path, bool, float, str]) -> dict:
    name, ballots, seed, work, reuse, loyalty, population = args
    t0 = time.perf_counter()
    if not (reuse and (work / name / "case" / "truth.json").exists()):
        make_case(name, ballots, seed, work, loyalty, population)
    t1 = time.perf_counter()
    got = run_scan(name, work)
    t2 = time.perf_counter()
    result = compare(name, work, got)
    result["make_s"], result["scan_s"] = round(t1 - t0, 1), round(t2 - t1, 1)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ballots", type=int, default=40, help="ballot copies per preset")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--work", type=Path, default=Path("/tmp/kiemphieu-accuracy"))
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--reuse", action="store_true", help="read existing cases again")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--loyalty", type=float, default=0.9,
                    help="share of a voter's rows marked with their favourite shape")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--save", type=Path,
                    help="write the counts as a baseline for compare.py (benchmarks/result_file.py)")
    ap.add_argument("--population", choices=("stress", "everyday"), default="stress",
                    help="the stress mix (every shape and pen alike, 5%% overvotes, 15%% "
                         "doubtful) or the simulator's everyday voters (EVERYDAY_VOTES)")
    a = ap.parse_args()
    names = [n.strip() for n in a.presets.split(",") if n.strip()]
    for n in names:
        if n not in PRESETS:
            ap.error(f"unknown preset {n}; use {', '.join(PRESETS)}")
    a.work.mkdir(parents=True, exist_ok=True)
    jobs = [(n, a.ballots, a.seed, a.work, a.reuse, a.loyalty, a.population) for n in names]
    with ProcessPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(_one, jobs))
    head = (f"{'preset':19} {'pages':>5} {'status':>6} {'clear':>6} {'wrong':>6} {'review':>7} {'%':>6} "
            f"{'doubtful':>8} {'caught':>7} {'%':>6} {'streaked':>8} {'m.notes':>7} {'found':>5} "
            f"{'false':>5} {'seals':>5} {'s.doubt':>7} {'found':>5} {'false':>5} "
            f"{'blacked':>7} {'all%':>6}")
    print(head)
    total: Counter[str] = Counter()
    for r in results:
        for k in ("pages", "page_status_wrong", "clear", "clear_wrong", "clear_review",
                  "doubtful", "doubtful_caught", "streak_review", "margin_notes",
                  "margin_notes_found", "false_note_doubts",
                  "seals", "seal_doubts", "seal_doubts_found", "false_seal_doubts",
                  "clear_review_blacked"):
            total[k] += r.get(k, 0)
    for r in [*results, {"preset": "ALL", **total}]:
        clear, doubt = r.get("clear", 0), r.get("doubtful", 0)
        print(f"{r['preset']:19} {r.get('pages', 0):5} {r.get('page_status_wrong', 0):6} "
              f"{clear:6} {r.get('clear_wrong', 0):6} "
              f"{r.get('clear_review', 0):7} {100 * r.get('clear_review', 0) / max(clear, 1):5.2f}% "
              f"{doubt:8} {r.get('doubtful_caught', 0):7} "
              f"{100 * r.get('doubtful_caught', 0) / max(doubt, 1):5.1f}% "
              f"{r.get('streak_review', 0):8} {r.get('margin_notes', 0):7} "
              f"{r.get('margin_notes_found', 0):5} {r.get('false_note_doubts', 0):5} "
              f"{r.get('seals', 0):5} {r.get('seal_doubts', 0):7} "
              f"{r.get('seal_doubts_found', 0):5} {r.get('false_seal_doubts', 0):5} "
              f"{r.get('clear_review_blacked', 0):7} "
              f"{100 * (r.get('clear_review', 0) + r.get('streak_review', 0)) / max(clear, 1):5.2f}%")
    for r in results:
        for kind in ("wrong", "to_review", "missed"):
            for line in r[kind]:
                print(f"{r['preset']} {kind.upper()}: {line}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    if a.save:
        result_file.save(a.save, "accuracy", {"ballots": a.ballots, "seed": a.seed,
                                              "population": a.population, "loyalty": a.loyalty},
                         result_file.accuracy_figures(results), "accuracy.py")


if __name__ == "__main__":
    main()

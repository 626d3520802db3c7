"""What a roster leaves uncovered, skill by skill, in the words a lead reads on the roster page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from triage.scheduling.planning.roster_model import ANY, hour_at, hours_with_nobody

MAX_SPANS = 8  # more than a line's worth of spans reads as noise; the count still says how many


@dataclass(frozen=True, slots=True)
class SkillGap:
    """One skill's uncovered demand: person-hours short, and when nobody who has the skill is on."""

    skill: str
    short: int  # person-hours of demand the plan could not staff
    nobody: int  # hours with demand and nobody on shift who has the skill
    spans: tuple[str, ...]  # those hours as "Mon 01:00-04:00", team time

    @property
    def label(self) -> str:
        return "any skill" if self.skill == ANY else self.skill

    @property
    def text(self) -> str:
        """E.g. "ja: 3 person-hours short, 3 h with nobody who has it: Sat 00:00-03:00"."""
        out = f"{self.label}: {self.short} person-hour{'' if self.short == 1 else 's'} short"
        if not self.nobody:
            return out + ", never with nobody who has it"
        more = len(self.spans) - MAX_SPANS
        shown = ", ".join(self.spans[:MAX_SPANS]) + (f" and {more} more" if more > 0 else "")
        return out + f", {self.nobody} h with nobody who has it: {shown}"


def skill_gaps(uncovered: Mapping[str, Sequence[int]], planned: Mapping[str, Sequence[int]], *,
               week_start: datetime, zone: str) -> list[SkillGap]:
    """Skills with uncovered demand, those with the most hours of nobody first; 'any skill' last."""
    nobody = hours_with_nobody(uncovered, planned)
    gaps = [SkillGap(s, sum(short), len(nobody[s]), tuple(_spans(nobody[s], week_start, ZoneInfo(zone))))
            for s, short in uncovered.items() if sum(short)]
    return sorted(gaps, key=lambda g: (g.skill == ANY, -g.nobody, -g.short, g.skill))


def _spans(hours: Sequence[int], week_start: datetime, zone: ZoneInfo) -> list[str]:
    """Runs of consecutive week hours as "Mon 01:00-04:00" (absolute hours, so DST-correct)."""
    runs: list[list[int]] = []
    for h in hours:
        if runs and h == runs[-1][1]:
            runs[-1][1] = h + 1
        else:
            runs.append([h, h + 1])
    out = []
    for first, end in runs:
        a, b = (hour_at(week_start, h).astimezone(zone) for h in (first, end))
        out.append(f"{a:%a %H:%M}-{b:%H:%M}" if b.date() == a.date() else f"{a:%a %H:%M}-{b:%a %H:%M}")
    return out

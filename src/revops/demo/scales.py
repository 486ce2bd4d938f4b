"""How big the demo company is: one ``Scale`` per ``--scale`` choice.

Everything else (reps per lead, deals per rep, activities per deal) follows from the
behaviour of the simulated company, so small, medium and large differ in volume only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    leads: int
    aes: int  # account executives across regions and segments
    sdrs: int
    csms: int
    marketers: int
    chunk_leads: int = 100_000  # leads (with their touches and activities) per written chunk
    routed_days: int | None = None
    """Leads of the last this many days are routed by revops (decisions and audit); earlier
    ones were assigned by the company's CRM. None: revops routed every lead."""
    event_days: int | None = None
    """Web, product and intent events of the last this many days are written (``events.py``);
    None: over the whole history."""

    @property
    def companies(self) -> int:
        """Size of the company universe the leads come from (several leads per company)."""
        return max(200, self.leads // 3)


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", leads=1_500, aes=6, sdrs=4, csms=2, marketers=2, chunk_leads=500),
    "small": Scale("small", leads=5_000, aes=10, sdrs=6, csms=3, marketers=3, chunk_leads=2_000),
    "medium": Scale("medium", leads=200_000, aes=90, sdrs=48, csms=14, marketers=8, event_days=30),
    "large": Scale("large", leads=2_000_000, aes=170, sdrs=100, csms=36, marketers=14, routed_days=30,
                   event_days=30),
}
"""``tiny`` is for unit tests; the CLI offers small, medium and large."""

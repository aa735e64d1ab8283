"""识别核对: how the place reader does on this city's own closed tickets.

The reader's confidence is calibrated on another city's work orders (place.CALIBRATION, Fuzhou);
this reads the newest closed tickets of this platform again — address, title and content, as the
dispatch suggestion reads them — and compares each guess with the place the ticket ended under.
A guess is right when it lies on that place's chain: the street of a ticket closed under its
district, or the district of a ticket closed under one of its streets (the reader named no
more than the text did). Per confidence level: how many guesses, how many right — so that an
administrator sees whether "把握 93%" holds here before trusting the automatic dispatch.

Two biases, both towards the reader: a ticket whose place the operator took from the reader's own
hint agrees with it by construction, and the registry's learned names were learned from these very
tickets. The figures are an upper bound of what new tickets will see."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.dispatch.place import PLACE_CONFIDENCE, gazetteer
from hotline.dispatch.retrain import DONE
from hotline.tickets.models import Ticket

CHECK_LIMIT = 20_000  # the newest closed tickets read (about a second on two cores)


@dataclass
class Level:
    confidence: float
    guesses: int = 0
    right: int = 0


@dataclass
class PlaceCheck:
    tickets: int = 0  # closed tickets with a place, read
    guessed: int = 0  # of which the reader named a place below the city
    right: int = 0
    acted: int = 0  # guesses at or above PLACE_CONFIDENCE: used without asking
    acted_right: int = 0
    levels: list[Level] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The figures, as the API and `hotline dispatch places check --json` print them."""
        def share(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        return {"tickets": self.tickets, "guessed": self.guessed, "right": self.right,
                "right_of_guessed": share(self.right, self.guessed), "acted_on": self.acted,
                "acted_on_right": self.acted_right, "right_of_acted_on": share(self.acted_right, self.acted),
                "act_at": PLACE_CONFIDENCE,
                "levels": [{"confidence": lv.confidence, "guesses": lv.guesses, "right": lv.right,
                            "right_share": share(lv.right, lv.guesses)} for lv in self.levels]}


def check(db: Session, *, limit: int = CHECK_LIMIT) -> PlaceCheck:
    reader = gazetteer(db)
    rows = db.execute(select(Ticket.address, Ticket.title, Ticket.content, Ticket.jurisdiction_path)
                      .where(Ticket.state.in_(DONE), Ticket.jurisdiction_path.is_not(None))
                      .order_by(Ticket.id.desc()).limit(limit).execution_options(yield_per=2000))
    out = PlaceCheck()
    levels: dict[float, Level] = {}
    for address, title, content, final in rows:
        out.tickets += 1
        g = reader.guess(address=address, text=f"{title or ''} {content or ''}")
        if g is None or g.place.level in ("province", "city"):
            continue
        ok = final.startswith(g.place.path) or g.place.path.startswith(final)
        level = levels.setdefault(g.confidence, Level(g.confidence))
        level.guesses += 1
        level.right += ok
        out.guessed += 1
        out.right += ok
        if g.confidence >= PLACE_CONFIDENCE:
            out.acted += 1
            out.acted_right += ok
    out.levels = sorted(levels.values(), key=lambda lv: lv.confidence)
    return out

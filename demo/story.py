"""What the demo's customers say back, played by the simulated network (the modem simulator's script).

Chosen from the plan once it is scheduled, so the replies land at known moments of the campaign:

- the first customer answers after their last bubble ("a reply shown in context": the dashboard's
  `dashboard_replies` view shows it next to the message it answers);
- the second customer (one with two bubbles or more) replies STOP the moment their first bubble is
  sent: the listener stores it before it claims their second bubble, the database refuses the rest,
  and the confirmation goes out at once;
- the last customer (due the next morning) writes "Please stop texting me" early in the campaign: their
  message is cancelled at promotion, never queued (a STOP before promotion);
- every part sent is reported delivered by the network shortly after (delivery reports, TP-ST 0).

`after <n> sent` counts every SMS the simulator has sent, confirmations included, so the steps are
computed in the order they happen.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from sms_common.bubbles import split_bubbles

CONTEXT_REPLY = "Thursday works! Can you hold a 10am slot for me?"
MID_STOP = "STOP"
EARLY_STOP = "Please stop texting me"
#: Real seconds between a part sent and the network's delivery report.
REPORT_DELAY = 0.3


@dataclass(frozen=True)
class Planned:
    scheduled_message_id: int
    customer_name: str
    phone_number: str
    bubbles: int


@dataclass(frozen=True)
class Reply:
    """One reply the network delivers once `after_sent` SMS have left the modem."""

    after_sent: int
    customer: Planned
    text: str
    why: str

    @property
    def script_line(self) -> str:
        return f"after {self.after_sent} sent reply {self.customer.phone_number} {shlex.quote(self.text)}"


@dataclass
class Story:
    replies: list[Reply] = field(default_factory=list)

    @property
    def opted_out(self) -> list[Planned]:
        return [r.customer for r in self.replies if r.text in (MID_STOP, EARLY_STOP)]

    @property
    def mid_stop(self) -> Planned | None:
        return next((r.customer for r in self.replies if r.text == MID_STOP), None)

    @property
    def early_stop(self) -> Planned | None:
        return next((r.customer for r in self.replies if r.text == EARLY_STOP), None)

    @property
    def confirmations(self) -> int:
        return len(self.opted_out)

    def script(self) -> str:
        lines = ["# the demo's customers, played by the simulated network (see demo/story.py)"]
        lines += [f"{reply.script_line}  # {reply.why}" for reply in self.replies]
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> Path:
        path.write_text(self.script(), encoding="utf-8")
        return path

    def as_dict(self) -> dict[str, object]:
        return {
            "replies": [
                {
                    "after_sent": r.after_sent,
                    "customer": r.customer.customer_name,
                    "text": r.text,
                    "why": r.why,
                }
                for r in self.replies
            ],
            "opted_out": [c.customer_name for c in self.opted_out],
            "mid_stop": self.mid_stop.customer_name if self.mid_stop else None,
            "early_stop": self.early_stop.customer_name if self.early_stop else None,
        }


def plan(conn: psycopg.Connection[tuple[object, ...]], campaign: str) -> list[Planned]:
    """The scheduled messages in the order they go out, with their bubble counts."""
    found = conn.execute(
        """select id, customer_name, phone_number, message_content from public.scheduled_messages
           where campaign_name = %s and status = 'SCH' order by scheduled_for, id""",
        (campaign,),
    ).fetchall()
    return [
        Planned(int(str(i)), str(name), str(phone), len(split_bubbles(str(text))))
        for i, name, phone, text in found
    ]


def choose(planned: list[Planned]) -> Story:
    """The replies for this plan (fewer for a very small campaign)."""
    story = Story()
    if not planned:
        return story
    first = planned[0]
    sent = first.bubbles
    story.replies.append(Reply(sent, first, CONTEXT_REPLY, f"{first.customer_name} answers the text"))
    stopper = next((p for p in planned[1:-1] if p.bubbles >= 2), None)
    if stopper is not None:
        before = sum(p.bubbles for p in planned[: planned.index(stopper)])
        story.replies.append(
            Reply(before + 1, stopper, MID_STOP, f"{stopper.customer_name} replies STOP after bubble 1")
        )
        sent = before + 2  # bubble 1, then the confirmation
    if len(planned) >= 3 and planned[-1] is not stopper:
        last = planned[-1]
        story.replies.append(
            Reply(sent + 1, last, EARLY_STOP, f"{last.customer_name} asks to stop before their text is due")
        )
    return story

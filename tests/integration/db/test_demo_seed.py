"""supabase/seed.sql (what `supabase db reset` loads) applies to the migrated schema and shows a demo."""

from __future__ import annotations

from tests.harness import REPO_ROOT
from tests.integration.db.helpers import Conn


def test_seed_sql_loads_demo_rows(conn: Conn) -> None:
    conn.execute((REPO_ROOT / "supabase" / "seed.sql").read_text(encoding="utf-8").encode())
    campaign: dict[str, int] = dict(
        conn.execute("select status, count(*)::int from public.campaign_messages group by status").fetchall()
    )
    assert campaign == {"SUG": 2, "SCH": 2}
    pst = conn.execute("select customer_name from public.scheduled_messages_pst").fetchall()
    assert [r[0] for r in pst] == ["Test User", "Avery Demo", "Blake Demo"]
    numbers = conn.execute("select phone_number from public.scheduled_messages").fetchall()
    assert all(n[0][-7:-2] == "55501" for n in numbers), numbers

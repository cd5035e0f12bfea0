"""Demo cash reimbursement claims in every state of the claim machine
(SZ-MD Art. 10; SZ-MT Art. 14), and expert reviews where the pack has a
compliance rule (ZZ §7), all through the services (the demo walker's
clerk registers and decides, its reviewer approves: four eyes)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core.models import Certificate, Institution
from core.rules.claims import ItemInput, ReceiptInput
from core.services import claims, settlement
from core.workflows.definitions import CERT_GIVES_BENEFITS

#: (state reached, days ago the receipt was paid, booked: a visit the institution booked, so not paid in cash)
PLAN = (("approved", 40, False), ("approved", 35, False), ("decided", 20, False), ("decided", 18, False),
        ("registered", 6, False), ("withdrawn", 12, False), ("decided", 25, True), ("approved", 30, True))


def _candidates(w) -> list[tuple[object, str, bool]]:
    """(enrollee id, disease code, treated in the city) for confirmed certificates: Category II therapies
    the pack settles in cash at city institutions, else emergency treatment outside the city."""
    cash = set(w.policy.treatment.cash_therapies)
    out = []
    with_row = w.run(lambda s: [(c.enrollee_id, c.disease_code) for c in s.exec(
        select(Certificate).where(col(Certificate.status).in_(sorted(CERT_GIVES_BENEFITS)))
        .order_by(col(Certificate.number)))])
    seen = set()
    for eid, code in with_row:
        d = w.policy.disease(code)
        if d is None or eid in seen:
            continue
        seen.add(eid)
        out.append((eid, code, d.therapy_for(None) in cash))
    out.sort(key=lambda x: not x[2])  # the city therapies first
    return out


def walk(w) -> None:
    today, policy = w.today, w.policy
    city = w.hospitals[0] if w.hospitals else None
    far = w.run(lambda s: s.exec(select(Institution).where(Institution.city != policy.pack.city,
                                                           col(Institution.mainland).is_(True))
                                 .order_by(col(Institution.code))).first())
    people = _candidates(w)
    booked = [p for p in people if not p[2]]
    cash = [p for p in people if p[2]] or booked
    picked = [(booked if is_booked else cash).pop(0) for *_x, is_booked in PLAN if (booked if is_booked else cash)]
    for k, ((state, ago, is_booked), (eid, code, in_city)) in enumerate(zip(PLAN, picked)):
        inst = city if in_city or is_booked or far is None else far
        if inst is None:
            return
        treated = today - timedelta(days=ago)
        items = (ItemInput("drugs and treatment", w.rng.randint(300, 3000) * 100),)
        if k % 2 == 0:
            items += (ItemInput("CT examination", w.rng.randint(200, 800) * 100, large_equipment=True),)
        receipt = ReceiptInput(f"DEMO-{treated:%Y%m%d}-{k + 1:03d}", inst.code, treated, items,
                               emergency=not (in_city or is_booked or far is None))
        registered = treated + timedelta(days=2)
        claim = w.run(lambda s: claims.register_claim(s, w.clerk, eid, code, [receipt], on=registered, policy=policy,
                                                      reason="receipts brought to the counter (demo)"))
        w.bump("cash claims registered")
        if state == "withdrawn":
            w.run(lambda s: claims.withdraw_claim(s, w.clerk, claim.id, on=registered + timedelta(days=1),
                                                  policy=policy, reason="the enrollee took the receipts back (demo)"))
            w.bump("cash claims withdrawn")
            continue
        if state == "registered":
            continue
        w.run(lambda s: claims.decide_claim(s, w.clerk, claim.id, on=registered + timedelta(days=1), policy=policy))
        w.bump("cash claims decided")
        if state == "approved":
            w.run(lambda s: claims.approve_claim(s, w.reviewer, claim.id, on=registered + timedelta(days=3),
                                                 policy=policy))
            w.bump("cash claims approved")
    if policy.compliance is not None:
        for k, hosp in enumerate(w.hospitals[:3]):
            reviewed = 20 + 5 * k
            w.run(lambda s: settlement.record_review(s, w.clerk, hosp.code, year=today.year, reviewed_files=reviewed,
                                                     compliant_files=reviewed - k - 1, on=today - timedelta(days=30),
                                                     policy=policy, note="annual expert review (demo)"))
            w.bump("expert reviews")

"""Demo data at city scale: ``casedesk demo --enrollees N --expenses M`` (issue 10 item 1).

The small demo (:func:`core.demo.fill_demo`: master data, caseworkers and a
few hundred people walked through every workflow by the real services) is
written first; then this module adds the rest of the N enrollees and M
expense rows in bulk, as rows, never through the ORM:

* enrollees with valid ID numbers (check digit of GB 11643, :mod:`core.ids`),
  Chinese names with their pinyin search keys (:mod:`core.name_keys`, computed
  once per distinct name of a pool) and the demo's scheme / household /
  employment mix; the lookup's search rows are written by the database's own
  rows are written in bulk after the load (the same rows the insert trigger of
  migration 0004_search writes; the trigger fires row by row if it changed);
* certificates with the demo's status mix at the diagnostic hospitals, signed
  by their teams;
* 12 months of expenses (visits, purchases, therapies) ending with the last
  complete month, with enrollees on every numeric trigger of SZ-MT Art. 13 of
  the pack (and some exactly on a threshold, which is not "more than").

:func:`batches` yields ``(table, columns, rows)`` in load order, the values
already in the dialect's storage form (:class:`Storage`) so a loader can hand
them to ``executemany`` or PostgreSQL ``COPY`` unchanged; :func:`build` runs
the whole thing (SQLite: indexes built after the load, ``journal_mode`` /
``synchronous`` relaxed for the build only and restored).
"""

from __future__ import annotations

import calendar
import random
import uuid
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Sequence

from sqlalchemy import Engine, insert, text

from core.ids import compute_check_digit
from core.models import Enrollee
from core.models.storage import SETTLEMENT_CODES, VISIT_KIND_CODES
from core.name_keys import name_keys
from core.policy import Policy
from core.rules import monitoring as mt

BATCH = 20_000
NAME_POOL = 8_000
#: share of enrollees with a certificate besides those the trigger profiles need
CERTIFICATE_SHARE = 0.25
#: (status, weight): the demo's mix, most certificates confirmed
CERTIFICATE_MIX = [("confirmed", 86), ("draft", 3), ("signed", 2), ("sealed", 3), ("superseded", 2), ("void", 1),
                   ("invalidated", 1), ("withdrawn", 2)]
BRANCHES = ["futian", "futian", "nanshan"]
EMPLOYERS = ["Huawei Technologies", "Ping An Insurance", "Shenzhen Metro", "BYD Auto", "Tencent",
             "China Merchants Bank", "Futian Street Office", "Shekou Container Terminals"]
ROADS = ["Shennan Road", "Binhe Road", "Hongli Road", "Nanhai Avenue", "Xinzhou Road", "Bao'an Avenue"]

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class _Random(random.Random):
    """random.Random with the few draws the generator makes per row done
    in one call each (the stdlib's go through several Python frames)."""

    def randint(self, a: int, b: int) -> int:  # type: ignore[override]
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:  # type: ignore[override]
        if stop is None:
            start, stop = 0, start
        return start + step * int(self.random() * ((stop - start + step - 1) // step))


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class Spec:
    enrollees: int
    expenses: int
    seed: int = 2026
    today: date = field(default_factory=date.today)

    @property
    def scan_month(self) -> mt.Month:
        """The last complete month: the month the monitoring scan looks at."""
        return mt.Month.of(self.today).shift(-1)

    @property
    def first_month(self) -> mt.Month:
        return self.scan_month.shift(-11)


@dataclass(frozen=True)
class Refs:
    """Master data the bulk rows point at (written by the small demo)."""

    city_institutions: list[uuid.UUID]
    #: (institution, specialty) -> (drafting physician, team head, team member)
    teams: dict[tuple[uuid.UUID, str], tuple[uuid.UUID, uuid.UUID, uuid.UUID]]
    taken_id_numbers: frozenset[str] = frozenset()


class Storage:
    """Python values -> what the dialect stores (SQLite: UUIDs as 32 hex
    characters, dates and times as ISO text, booleans as 0/1; others: the
    objects themselves, which psycopg adapts, also in COPY)."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def uid(self, u: uuid.UUID | None) -> Any:
        if u is None:
            return None
        return u.hex if self.sqlite else u

    def day(self, d: date | None) -> Any:
        if d is None:
            return None
        return d.isoformat() if self.sqlite else d

    def moment(self, dt: datetime) -> Any:  # aware UTC
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else dt

    def flag(self, b: bool) -> Any:
        return int(b) if self.sqlite else bool(b)


# --------------------------------------------------------------------------- people


def id_number(region: str, birth: date, seq: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + compute_check_digit(first17)


def _name_pool(rng: random.Random) -> list[tuple[str, str, str]]:
    from core.demo import GIVEN, SURNAMES

    names: dict[str, None] = {}
    while len(names) < NAME_POOL:
        names[rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))] = None
    out = []
    for n in names:
        k = name_keys(n)
        out.append((n, k.pinyin, k.initials))
    return out


# trigger profiles (SZ-MT Art. 13): which numeric trigger an enrollee is made to trip in the scan month
NONE, T_VISITS_MONTH, T_VISITS_3M, T_COST_MONTH, T_GENERAL_YEAR, T_INPATIENT_YEAR, T_TUMOUR, T_DIALYSIS, \
    T_KIDNEY, EDGE = range(10)
PROFILE_SHARE = {T_VISITS_MONTH: 0.004, T_VISITS_3M: 0.004, T_COST_MONTH: 0.006, T_GENERAL_YEAR: 0.003,
                 T_INPATIENT_YEAR: 0.01, T_TUMOUR: 0.002, T_DIALYSIS: 0.001, T_KIDNEY: 0.001, EDGE: 0.002}
THERAPY_DISEASE = {T_TUMOUR: ("tumour", None), T_DIALYSIS: ("dialysis", None), T_KIDNEY: ("transplant", "kidney")}


@dataclass
class _People:
    ids: list[Any]  # storage form, in key order
    scheme: bytearray  # 0 comprehensive, 1 inpatient, 2 migrant
    profile: bytearray
    disease: list[str | None]  # a confirmed certificate's disease (major-disease visits cite it)


SCHEMES = ["comprehensive", "inpatient", "migrant"]


def _enrollee_rows(spec: Spec, refs: Refs, policy: Policy, store: Storage, rng: random.Random, n: int,
                   people: _People) -> Iterator[tuple[str, list[str], list[tuple]]]:
    from core.demo import OTHER_REGIONS, SZ_REGIONS

    cols = ["id", "version", "created_at", "updated_at", "id_number", "card_number", "name", "name_pinyin",
            "name_initials", "sex", "birth_date", "scheme", "supplementary", "city_household", "employment",
            "disabled_grade", "employer", "phone", "address", "residence_city", "residence_province",
            "residence_mainland", "stationed_elsewhere", "account_state", "individual_account_fen", "branch",
            "is_demo"]
    pool = _name_pool(rng)
    now = store.moment(datetime.combine(spec.today, datetime.min.time(), timezone.utc))
    keys = sorted(uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(n))
    seen = set(refs.taken_id_numbers)
    t, f = store.flag(True), store.flag(False)
    elsewhere = [("Wuhan", "Hubei"), ("Changsha", "Hunan"), ("Chengdu", "Sichuan")]
    profiles = list(PROFILE_SHARE.items())
    forced = [p for p, _ in profiles]  # the first enrollees that fit take every profile once
    by_therapy = {d.therapy: d for d in policy.diseases}

    def fits(p: int, scheme: int) -> bool:
        if p == T_INPATIENT_YEAR:
            return scheme == 1
        if p in THERAPY_DISEASE:
            return SCHEMES[scheme] in by_therapy[THERAPY_DISEASE[p][0]].schemes
        return scheme != 1

    rows = []
    year = spec.today.year
    for i, key in enumerate(keys):
        r = rng.random()
        scheme = 0 if r < 0.6 else (1 if r < 0.8 else 2)
        profile = next((p for p in forced if fits(p, scheme)), NONE)
        if profile != NONE:
            forced.remove(profile)
        elif not forced:
            x = rng.random()
            for p, share in profiles:
                if x < share:
                    profile = p if fits(p, scheme) else NONE
                    break
                x -= share
        age = rng.randint(22, 88)
        birth = date(year - age, rng.randint(1, 12), rng.randint(1, 28))
        household = scheme == 0 and rng.random() < 0.7
        region = rng.choice(SZ_REGIONS if household else OTHER_REGIONS)
        sex = rng.random() < 0.5
        while True:
            seq = rng.randrange(0, 1000, 2) + (1 if sex else 0)  # odd = male (GB 11643)
            idn = id_number(region, birth, seq)
            if idn not in seen:
                seen.add(idn)
                break
        employment = "retired_city_pension" if age >= 60 and scheme == 0 else "employed"
        if employment == "employed" and rng.random() < 0.05:
            employment = "unemployed"
        res_city, res_prov, stationed = "Shenzhen", "Guangdong", False
        if employment == "retired_city_pension" and rng.random() < 0.15:
            res_city, res_prov = rng.choice(elsewhere)
        elif household and employment == "employed" and rng.random() < 0.08:
            res_city, res_prov = rng.choice(elsewhere)
            stationed = True
        name, py, ini = pool[rng.randrange(NAME_POOL)]
        sid = store.uid(key)
        people.ids.append(sid)
        people.scheme.append(scheme)
        people.profile.append(profile)
        rows.append((
            sid, 1, now, now, idn, f"SZ{100_000_000 + i * 7 + rng.randint(0, 6):09d}", name, py, ini,
            "M" if sex else "F", store.day(birth), SCHEMES[scheme],
            t if scheme == 0 and rng.random() < 0.8 else f, t if household else f, employment,
            rng.randint(1, 6) if rng.random() < 0.02 else None,
            "" if employment != "employed" else rng.choice(EMPLOYERS),
            f"13{rng.randint(100000000, 999999999)}", f"{rng.randint(1, 300)} {rng.choice(ROADS)}",
            res_city, res_prov, t, t if stationed else f, "normal", rng.randint(0, 800_000), rng.choice(BRANCHES), t,
        ))
        if len(rows) == BATCH:
            yield "enrollee", cols, rows
            rows = []
    if rows:
        yield "enrollee", cols, rows


def _certificate_rows(spec: Spec, refs: Refs, policy: Policy, store: Storage, rng: random.Random,
                      people: _People) -> Iterator[tuple[str, list[str], list[tuple]]]:
    from core.rules.certificates import last_valid_day
    from core.services.numbering import base32, format_number

    cols = ["id", "version", "created_at", "updated_at", "policy_hash", "number", "enrollee_id", "disease_code",
            "organ", "category", "policy_pack", "status", "institution_id", "offsite", "continuation",
            "cont_recent_record", "cont_original_papers", "cont_originals_seen", "cont_copies_kept",
            "criteria_acknowledged", "diagnosis_note", "physician_id", "drafted_on", "drafted_by", "signer1_id",
            "signed1_on", "signer2_id", "signed2_on", "signatures_by", "sealed_on", "seal_ref", "sealed_by",
            "confirmed_on", "confirmed_by", "valid_from", "valid_until", "ended_on", "ended_by", "end_reason"]
    by_specialty: dict[str, list[tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]]] = {}
    for (inst, spec_), (doc, head, member) in sorted(refs.teams.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        by_specialty.setdefault(spec_, []).append((inst, doc, head, member))
    by_therapy = {d.therapy: d for d in policy.diseases}
    diseases = {s: [d for d in policy.diseases if s in d.schemes and d.specialty in by_specialty] for s in SCHEMES}
    statuses = [s for s, _ in CERTIFICATE_MIX]
    weights = [w for _, w in CERTIFICATE_MIX]
    f, t = store.flag(False), store.flag(True)
    now = store.moment(datetime.combine(spec.today, datetime.min.time(), timezone.utc))
    numbers: set[str] = set()
    years = {d.category: policy.validity_years(d.category) for d in policy.diseases}
    rows = []
    for i, sid in enumerate(people.ids):
        profile = people.profile[i]
        organ = None
        if profile in THERAPY_DISEASE:
            therapy, organ = THERAPY_DISEASE[profile]
            disease = by_therapy[therapy]
            status = "confirmed"
        elif rng.random() < CERTIFICATE_SHARE and diseases[SCHEMES[people.scheme[i]]]:
            disease = rng.choice(diseases[SCHEMES[people.scheme[i]]])
            status = rng.choices(statuses, weights)[0]
        else:
            people.disease.append(None)
            continue
        if disease.organs and organ is None:
            organ = rng.choice([o.code for o in disease.organs if not o.requires_supplementary])
        people.disease.append(disease.code if status == "confirmed" else None)
        inst, doc, head, member = rng.choice(by_specialty[disease.specialty])
        key = uuid.UUID(int=rng.getrandbits(128), version=4)
        drafted = spec.today - timedelta(days=rng.randint(30, 700))
        while True:
            number = format_number("C", drafted, base32(rng.getrandbits(50)))
            if number not in numbers:
                numbers.add(number)
                break
        signed = drafted + timedelta(days=rng.randint(0, 5)) if status != "draft" and status != "withdrawn" else None
        sealed = signed + timedelta(days=rng.randint(0, 5)) if signed and status not in ("signed",) else None
        confirmed = sealed + timedelta(days=rng.randint(1, 10)) if sealed and status != "sealed" else None
        until = last_valid_day(confirmed, years[disease.category]) if confirmed else None  # SZ-MD Art. 12
        ended = None
        reason = ""
        if status in ("superseded", "void", "invalidated", "withdrawn"):
            ended = (confirmed or drafted) + timedelta(days=rng.randint(1, 20))
            reason = {"superseded": "continued by a re-application", "void": "reported lost and replaced",
                      "invalidated": "false claim", "withdrawn": "draft abandoned"}[status]
            if ended > spec.today:
                ended = spec.today
        rows.append((
            store.uid(key), 1, now, now, "", number, sid, disease.code, organ, disease.category, policy.id, status,
            store.uid(inst), f, f, f, f, f, f, t, "", store.uid(doc), store.day(drafted), "wang.clerk",
            store.uid(head) if signed else None, store.day(signed), store.uid(member) if signed else None,
            store.day(signed), "wang.clerk" if signed else None, store.day(sealed),
            f"SEAL-{number[-5:]}" if sealed else None, "wang.clerk" if sealed else None, store.day(confirmed),
            "li.review" if confirmed else None, store.day(confirmed), store.day(until), store.day(ended),
            "wang.clerk" if ended else None, reason,
        ))
        if len(rows) == BATCH:
            yield "certificate", cols, rows
            rows = []
    if rows:
        yield "certificate", cols, rows


# --------------------------------------------------------------------------- expenses


def _month_bounds(m: mt.Month) -> tuple[int, int]:
    start = calendar.timegm(m.first.timetuple())
    return start, calendar.timegm(m.shift(1).first.timetuple())


def _profile_rows(profile: int, spec: Spec, rng: random.Random) -> list[tuple[int, str, int, str | None]]:
    """(time, kind, fen, disease) of the visits that make ``profile`` trip its trigger."""
    m0, _ = _month_bounds(spec.scan_month)
    day = 86_400
    out: list[tuple[int, str, int, str | None]] = []
    g = "general_outpatient"
    if profile == T_VISITS_MONTH:  # > 15 visits after the 4-hour merge, plus visits the merge folds in
        for d in range(16 + rng.randint(0, 3)):
            t = m0 + d * day + 9 * 3600 + rng.randint(0, 59) * 60
            out.append((t, g, rng.randint(2_000, 15_000), None))
            if d % 4 == 0:
                out.append((t + 2 * 3600, g, rng.randint(2_000, 15_000), None))  # within 4 h: the same visit
    elif profile == T_VISITS_3M:  # 11 a month for 3 months: > 30, but no month > 15
        for k in range(3):
            mk, _ = _month_bounds(spec.scan_month.shift(-k))
            for d in range(11):
                out.append((mk + d * 2 * day + 10 * 3600, g, rng.randint(2_000, 12_000), None))
    elif profile == T_COST_MONTH:  # > 6000 yuan in the month
        out.append((m0 + 3 * day + 10 * 3600, "major_disease_outpatient", 650_000 + rng.randint(0, 90_000), None))
    elif profile == T_GENERAL_YEAR:  # > 20000 yuan general outpatient in the year, never > 6000 in one month
        for k in range(5):
            mk, _ = _month_bounds(spec.scan_month.shift(-k))
            if mk >= calendar.timegm(date(spec.scan_month.year, 1, 1).timetuple()) or k == 0:
                out.append((mk + 5 * day + 15 * 3600, g, 420_000 + rng.randint(0, 50_000), None))
        if len(out) < 5:  # a January scan: the year is one month long
            out = [(m0 + k * 6 * day + 9 * 3600, g, 590_000, None) for k in range(1)]
            out.append((m0 + 20 * day + 9 * 3600, "emergency", 1, None))
    elif profile == T_INPATIENT_YEAR:  # inpatient scheme: > 800 yuan outpatient in the year
        out.append((m0 + 7 * day + 20 * 3600, "emergency", 85_000 + rng.randint(0, 20_000), None))
    elif profile in (T_TUMOUR, T_DIALYSIS, T_KIDNEY):
        total = {T_TUMOUR: 1_050_000, T_DIALYSIS: 1_550_000, T_KIDNEY: 1_550_000}[profile]
        for k in range(3):
            out.append((m0 + (4 + 7 * k) * day + 9 * 3600, "major_disease_outpatient", total // 3 + 1_000, "*"))
    elif profile == EDGE:  # exactly on the thresholds: 15 visits, 6000 yuan -> no hit ("more than")
        for d in range(15):
            out.append((m0 + d * day + 9 * 3600, g, 40_000, None))
    return out


def _ordinary(k: int, scheme: int, disease: str | None, start: int, end: int, rng: random.Random,
              codes: Sequence[str]) -> list[tuple[int, str, int, str | None]]:
    out = []
    span = end - start
    for _ in range(k):
        t = start + rng.randrange(span // 900) * 900  # on a quarter hour
        t = t - t % 86_400 + 8 * 3600 + (t % 86_400) * 10 // 24  # within 08:00-18:00
        x = rng.random()
        if scheme == 1:  # inpatient scheme: little outpatient spending
            if x < 0.5:
                out.append((t, "pharmacy", rng.randint(1_000, 20_000), None))
            elif x < 0.9:
                out.append((t, "inpatient", rng.randint(200_000, 3_000_000), None))
            else:
                out.append((t, "general_outpatient", rng.randint(1_000, 6_000), None))
        elif x < 0.55:
            out.append((t, "general_outpatient", rng.randint(2_000, 40_000), None))
        elif x < 0.7:
            out.append((t, "major_disease_outpatient", rng.randint(10_000, 250_000), disease or rng.choice(codes)))
        elif x < 0.9:
            out.append((t, "pharmacy", rng.randint(1_000, 30_000), disease))
        elif x < 0.96:
            out.append((t, "emergency", rng.randint(10_000, 150_000), None))
        else:
            out.append((t, "inpatient", rng.randint(200_000, 3_000_000), None))
    return out


def _expense_rows(spec: Spec, refs: Refs, policy: Policy, store: Storage, rng: random.Random,
                  people: _People, progress: Progress) -> Iterator[tuple[str, list[str], list[tuple]]]:
    cols = ["enrollee_id", "occurred_at", "id", "institution_id", "visit_kind", "disease_code", "amount_fen",
            "settlement", "large_equipment", "source", "created_at"]
    n = len(people.ids)
    if not spec.expenses:
        return
    planned = [_profile_rows(p, spec, rng) if p else [] for p in people.profile]
    # the trigger profiles fit in the rows asked for: the first of each kind always, later ones while they fit
    first = set()
    used = 0
    for i, rows_i in enumerate(planned):
        kind = people.profile[i]
        if kind and kind not in first:
            first.add(kind)
        elif used + len(rows_i) > spec.expenses:
            planned[i] = []
        used += len(planned[i])
    budget = max(spec.expenses - used, 0)
    # ordinary expenses: skewed over enrollees (a few use a lot), exactly ``budget`` in all
    weights = [rng.expovariate(1.0) ** 2 for _ in range(n)]
    scale = budget / (sum(weights) or 1.0)
    counts = array("I", (int(w * scale) for w in weights))
    del weights
    for _ in range(budget - sum(counts)):
        counts[rng.randrange(n)] += 1
    start, _ = _month_bounds(spec.first_month)
    _, end = _month_bounds(spec.scan_month)
    codes = [d.code for d in policy.diseases if d.therapy == "none"]
    insts = [store.uid(u) for u in refs.city_institutions]
    kind_code = VISIT_KIND_CODES
    bookkeeping, cash = SETTLEMENT_CODES["bookkeeping"], SETTLEMENT_CODES["cash"]
    f, t = store.flag(False), store.flag(True)
    created = int(calendar.timegm(spec.today.timetuple()))
    rows: list[tuple] = []
    done = 0
    getrandbits, choice, rand = rng.getrandbits, rng.choice, rng.random
    for i in range(n):
        mine = _ordinary(counts[i], people.scheme[i], people.disease[i], start, end, rng, codes) + planned[i]
        if not mine:
            continue
        planned[i] = []
        mine.sort()
        sid = people.ids[i]
        disease = people.disease[i]
        for when, kind, fen, code in mine:
            rows.append((sid, when, getrandbits(63), choice(insts), kind_code[kind],
                         disease if code == "*" else code, fen, cash if rand() < 0.03 else bookkeeping,
                         t if kind == "major_disease_outpatient" and rand() < 0.05 else f, "demo", created))
        if len(rows) >= BATCH:
            done += len(rows)
            yield "expense_record", cols, rows
            progress("expenses", done, spec.expenses)
            rows = []
    if rows:
        done += len(rows)
        yield "expense_record", cols, rows
        progress("expenses", done, spec.expenses)


def batches(spec: Spec, refs: Refs, policy: Policy, dialect: str = "sqlite",
            progress: Progress = _no_progress) -> Iterator[tuple[str, list[str], list[tuple]]]:
    """``(table, columns, rows)`` in load order: enrollees, certificates,
    expenses (each in its primary-key order), deterministic for (spec, refs)."""
    rng = _Random(spec.seed * 7919 + spec.enrollees)
    store = Storage(dialect)
    people = _People(ids=[], scheme=bytearray(), profile=bytearray(), disease=[])
    done = 0
    for batch in _enrollee_rows(spec, refs, policy, store, rng, spec.enrollees, people):
        done += len(batch[2])
        yield batch
        progress("enrollees", done, spec.enrollees)
    yield from _certificate_rows(spec, refs, policy, store, rng, people)
    yield from _expense_rows(spec, refs, policy, store, rng, people, progress)


# --------------------------------------------------------------------------- loading


def refs_of(engine: Engine, policy: Policy) -> Refs:
    from sqlmodel import Session, select

    from core.models import DiagnosticTeam, Institution, Physician, TeamMembership

    with Session(engine) as s:
        insts = sorted(s.exec(select(Institution.id).where(Institution.city == policy.pack.city,
                                                           Institution.kind != "social_security")).all(), key=str)
        teams: dict[tuple[uuid.UUID, str], list] = {}
        q = (select(DiagnosticTeam.institution_id, DiagnosticTeam.specialty, TeamMembership.physician_id,
                    TeamMembership.is_head)
             .join(TeamMembership, TeamMembership.team_id == DiagnosticTeam.id)
             .where(TeamMembership.until == None))  # noqa: E711
        for inst, spec_, doc, head in s.exec(q):
            teams.setdefault((inst, spec_), []).append((not head, str(doc), doc))
        taken = frozenset(s.exec(select(Enrollee.id_number)).all())
    ready = {}
    for key, members in teams.items():
        members.sort()
        if len(members) >= 2 and not members[0][0]:
            head, member = members[0][2], members[1][2]
            ready[key] = (member, head, member)
    return Refs(city_institutions=list(insts), teams=ready, taken_id_numbers=taken)


def _sqlite_indexes(raw, tables: Sequence[str]) -> list[tuple[str, str]]:
    marks = ", ".join("?" for _ in tables)
    return list(raw.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                            f"AND tbl_name IN ({marks})", tuple(tables)))


def _search_triggers(raw) -> list[str] | None:
    """The lookup's triggers on enrollee when they are the ones this module
    can replay in bulk (migration 0004_search); None: keep them firing."""
    import importlib

    search = importlib.import_module("core.migrations.versions.0004_search")
    found = [sql for (sql,) in raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                           "AND tbl_name = 'enrollee' ORDER BY name")]

    def norm(sql: str) -> str:
        return " ".join(sql.split())

    known = sorted(norm(t) for t in search._SQLITE_TRIGGERS)
    return found if sorted(norm(t) for t in found) == known else None


def _search_rows(raw, after_rowid: int) -> None:
    """What the insert trigger of 0004_search writes, for every enrollee
    loaded, as three set statements (the FTS5 index and the gram table
    each filled in one pass, in key order)."""
    import importlib

    search = importlib.import_module("core.migrations.versions.0004_search")
    raw.execute("INSERT INTO enrollee_search_key(enrollee_id) SELECT id FROM enrollee WHERE rowid > ? ORDER BY rowid",
                (after_rowid,))
    raw.execute("INSERT INTO enrollee_search(rowid, name, name_pinyin, name_initials) "
                "SELECT k.rid, e.name, e.name_pinyin, e.name_initials FROM enrollee e "
                "JOIN enrollee_search_key k ON k.enrollee_id = e.id WHERE e.rowid > ? ORDER BY k.rid", (after_rowid,))
    # the grams of 0004's trigger (every 1- and 2-character piece), with the positions read
    # as a range of enrollee_search_pos's key instead of all of them per name
    raw.execute("INSERT OR IGNORE INTO enrollee_search_gram(gram, name, rid) "
                "SELECT substr(e.name, p.n, w.w), e.name, k.rid FROM enrollee e "
                "JOIN enrollee_search_key k ON k.enrollee_id = e.id "
                "JOIN enrollee_search_pos p ON p.n <= length(e.name) "
                "JOIN (SELECT 1 AS w UNION ALL SELECT 2) w ON p.n + w.w - 1 <= length(e.name) "
                "WHERE e.rowid > ? ORDER BY 1, 2, 3", (after_rowid,))


def _load_sqlite(engine: Engine, stream: Iterator[tuple[str, list[str], list[tuple]]], progress: Progress) -> None:
    """executemany on the driver's connection; secondary indexes dropped
    for the load and built once after it; no journal and no fsync while
    building (a failed build leaves a file to delete, never a half-real
    database: the demo goes only into a new or demo file)."""
    tables = ("enrollee", "certificate", "expense_record")
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA journal_mode = OFF")
        raw.execute("PRAGMA synchronous = OFF")
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("PRAGMA cache_size = -262144")  # 256 MB page cache for the index builds
        raw.execute("PRAGMA threads = 2")  # the sorter of CREATE INDEX and ORDER BY may use a helper thread
        indexes = _sqlite_indexes(raw, tables)
        try:
            raw.execute("BEGIN")
            triggers = _search_triggers(raw)
            after = raw.execute("SELECT coalesce(max(rowid), 0) FROM enrollee").fetchone()[0]
            for name, _sql in indexes:
                raw.execute(f'DROP INDEX "{name}"')
            for name in ("enrollee_search_ai", "enrollee_search_au", "enrollee_search_ad") if triggers else ():
                raw.execute(f"DROP TRIGGER {name}")
            for table, cols, rows in stream:
                raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                                rows)
            for k, (_name, sql) in enumerate(indexes):
                progress("indexes", k, len(indexes))
                raw.execute(sql)
            progress("indexes", len(indexes), len(indexes))
            if triggers:
                progress("search", 0, 1)
                _search_rows(raw, after)
                for sql in triggers:
                    raw.execute(sql)
                progress("search", 1, 1)
            raw.execute("COMMIT")
        except BaseException:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raise
        finally:
            raw.execute("PRAGMA synchronous = FULL")
            raw.execute("PRAGMA foreign_keys = ON")
            raw.execute("PRAGMA journal_mode = WAL")
        progress("analyze", 0, 1)
        raw.execute("PRAGMA analysis_limit = 1000")  # sampled statistics: seconds, not minutes, at 10M rows
        raw.execute("ANALYZE")
        progress("analyze", 1, 1)


def _load_generic(engine: Engine, stream: Iterator[tuple[str, list[str], list[tuple]]], progress: Progress) -> None:
    """Any other database: SQLAlchemy Core executemany per batch, one
    transaction (PostgreSQL's fast path is COPY; see :data:`LOADERS`)."""
    from sqlmodel import SQLModel

    with engine.begin() as conn:
        for table, cols, rows in stream:
            conn.execute(insert(SQLModel.metadata.tables[table]), [dict(zip(cols, r)) for r in rows])


def _load_postgresql(engine: Engine, stream: Iterator[tuple[str, list[str], list[tuple]]], progress: Progress) -> None:
    """COPY into the monthly partitions (core.bulk_pg)."""
    from core.bulk_pg import load

    load(engine, stream, progress)


#: dialect name -> loader(engine, batches, progress)
LOADERS: dict[str, Callable[[Engine, Iterator[tuple[str, list[str], list[tuple]]], Progress], None]] = {
    "sqlite": _load_sqlite,
    "postgresql": _load_postgresql,
}


def build(engine: Engine, policy: Policy, spec: Spec, *, progress: Progress = _no_progress,
          by=None) -> dict[str, int]:
    """The small demo, then the rest of ``spec`` in bulk; one audit event
    for the bulk load (its counts)."""
    from core import audit
    from core.db import set_meta, write_session
    from core.demo import DEMO_CLERK, fill_demo
    from core.services import registry

    import time

    began, cpu = time.perf_counter(), time.process_time()
    small = min(spec.enrollees, 300)
    progress("demo", 0, 1)
    summary = fill_demo(engine, policy, seed=spec.seed, enrollees=small, today=spec.today, by=by)
    progress("demo", 1, 1)
    rest = Spec(enrollees=spec.enrollees - small, expenses=max(spec.expenses - summary.get("expenses", 0), 0),
                seed=spec.seed, today=spec.today)
    counts = {"enrollee": 0, "certificate": 0, "expense_record": 0}

    def counted(stream):
        for table, cols, rows in stream:
            counts[table] += len(rows)
            yield table, cols, rows

    if not rest.enrollees:  # the workflow demo is all of it (the bulk expenses go to the bulk people)
        return summary
    refs = refs_of(engine, policy)
    loader = LOADERS.get(engine.dialect.name, _load_generic)
    loader(engine, counted(batches(rest, refs, policy, engine.dialect.name, progress)), progress)
    with write_session(engine, action="recording the bulk demo") as s:
        set_meta(s, "demo_bulk", f"{counts['enrollee']}/{counts['expense_record']}")
        # how long it took (bench/build.py reports it): wall and this process's CPU seconds
        set_meta(s, "demo_build_seconds", f"{time.perf_counter() - began:.1f} {time.process_time() - cpu:.1f}")
        audit.record(s, DEMO_CLERK, "expense.import", entity="expense_record", entity_id="bulk",
                     after={"rows": counts["expense_record"], "enrollees": counts["enrollee"],
                            "certificates": counts["certificate"]},
                     reason="bulk demo data", article=registry.expense_article(policy))
    summary["enrollees"] = summary.get("enrollees", 0) + counts["enrollee"]
    summary["expenses"] = summary.get("expenses", 0) + counts["expense_record"]
    summary["bulk certificates"] = counts["certificate"]
    return summary


def scan_month(today: date) -> str:
    return mt.Month.of(today).shift(-1).label


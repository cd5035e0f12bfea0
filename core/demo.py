"""Demo data: deterministic for a seed, realistic enough to try every screen.

``fill_demo`` writes master data through the registry services (so every row
is validated and audited like real data), then walks enrollees through each
workflow with the real services so every state of every workflow exists:
certificates in each status, books, replacements, off-site filings, health
centre selections, investigations at each step. It refuses a database that
already holds real (non-demo) records.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from core.auth import Actor
from core.i18n import N_
from core.db import get_meta, read_session, set_meta, write_session
from core.models import Caseworker, Enrollee, Institution, Physician
from core.policy import Policy
from core.services import registry

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
SZ_REGIONS = ["440303", "440304", "440305", "440306", "440307", "440308"]
OTHER_REGIONS = ["420102", "430102", "510104", "360102", "450102", "441302", "445102", "350102"]

DEMO_ADMIN = Actor("demo.admin", "admin", "futian", "Demo Admin")
DEMO_CLERK = Actor("wang.clerk", "clerk", "futian", "Wang Li (clerk)")
DEMO_CLERK2 = Actor("chen.clerk", "clerk", "nanshan", "Chen Jing (clerk)")
DEMO_REVIEWER = Actor("li.review", "reviewer", "futian", "Li Ming (reviewer)")

# (code, English, Chinese, level, diagnostic, dialysis)
SZ_HOSPITALS = [
    ("SZH001", "Shenzhen People's Hospital", "深圳市人民医院", 3, True, True),
    ("SZH002", "Shenzhen Second People's Hospital", "深圳市第二人民医院", 3, True, False),
    ("SZH003", "Peking University Shenzhen Hospital", "北京大学深圳医院", 3, True, True),
    ("SZH004", "Shenzhen Third People's Hospital", "深圳市第三人民医院", 3, True, False),
    ("SZH005", "Futian District People's Hospital", "福田区人民医院", 2, False, False),
    ("SZH006", "Nanshan District People's Hospital", "南山区人民医院", 2, False, True),
]
SZ_CHCS = [
    ("SZC001", "Lianhua Community Health Centre", "莲花社区健康服务中心", 0),
    ("SZC002", "Xiangmihu Community Health Centre", "香蜜湖社区健康服务中心", 0),
    ("SZC003", "Shekou Community Health Centre", "蛇口社区健康服务中心", 0),
    ("SZC004", "Buji Community Health Centre", "布吉社区健康服务中心", 3),
    ("SZC005", "Xixiang Community Health Centre", "西乡社区健康服务中心", 0),
]
# out-of-town: (code, name, name_zh, city, province, level, public, mainland, on_record)
OTHER_INSTITUTIONS = [
    ("WHN001", "Wuhan Union Hospital", "武汉协和医院", "Wuhan", "Hubei", 3, True, True, True),
    ("WHN002", "Wuhan Central Hospital", "武汉市中心医院", "Wuhan", "Hubei", 3, True, True, True),
    ("WHN003", "Hongshan Township Health Centre", "洪山乡镇卫生院", "Wuhan", "Hubei", 1, True, True, False),
    ("WHN004", "Jianghan District Hospital", "江汉区医院", "Wuhan", "Hubei", 2, True, True, True),
    ("WHN005", "Wuhan Meikang Private Clinic", "武汉美康诊所", "Wuhan", "Hubei", 1, False, True, False),
    ("CSA001", "Xiangya Hospital", "湘雅医院", "Changsha", "Hunan", 3, True, True, True),
    ("CSA002", "Hunan Provincial People's Hospital", "湖南省人民医院", "Changsha", "Hunan", 3, True, True, True),
    ("CSA003", "Yuelu District Hospital", "岳麓区医院", "Changsha", "Hunan", 2, True, True, False),
    ("CSA004", "Changsha Kaifu Health Centre", "长沙开福卫生院", "Changsha", "Hunan", 1, True, True, False),
    ("CDU001", "West China Hospital", "华西医院", "Chengdu", "Sichuan", 3, True, True, True),
    ("CDU002", "Chengdu Fifth People's Hospital", "成都市第五人民医院", "Chengdu", "Sichuan", 3, True, True, False),
    ("CDU003", "Wuhou District Hospital", "武侯区医院", "Chengdu", "Sichuan", 2, True, True, False),
    ("HKG001", "Queen Mary Hospital", "玛丽医院", "Hong Kong", "Hong Kong", 3, True, False, False),
]


class DemoRefused(Exception):
    pass


def demo_db_path() -> Path:
    from platformdirs import user_data_dir

    p = Path(user_data_dir("casedesk", appauthor=False)) / "demo.db"
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def has_records(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Enrollee)).one() > 0


def _check_refusal(session: Session) -> None:
    real = session.exec(select(func.count()).select_from(Enrollee).where(Enrollee.is_demo == False)).one()  # noqa: E712
    if real:
        raise DemoRefused(f"This database holds {real} real enrollee record(s); demo data goes only into an empty "
                          "or demo database. Choose another with --db.")
    if has_records(session):
        raise DemoRefused("This database already holds demo data. Use a new file with --db to make another.")


def _id_number(rng: random.Random, region: str, birth: date, sex_even: bool | None = None) -> str:
    from core.ids import compute_check_digit

    seq = rng.randint(0, 999)
    if sex_even is not None and (seq % 2 == 0) != sex_even:
        seq = (seq + 1) % 1000
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + compute_check_digit(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def created_as_demo(session: Session) -> bool:
    """Made by ``casedesk db init --demo`` / ``casedesk demo`` and still
    without caseworkers or records: anyone may fill it."""
    return (get_meta(session, "created_as") == "demo"
            and session.exec(select(func.count()).select_from(Caseworker)).one() == 0
            and not has_records(session))


def _check_may_fill(session: Session, by: Actor | None) -> None:
    if created_as_demo(session):
        return
    if by is None:
        raise DemoRefused("Filling this database with demo data needs an admin: it was not created as a demo "
                          "database (`casedesk db init --demo`), or it already has caseworkers.")
    by.require("admin", action=N_("fill a database with demo data"))


def fill_demo(engine: Engine, policy: Policy, *, seed: int = 2026, enrollees: int = 300,
              today: date | None = None, by: Actor | None = None) -> dict[str, int]:
    """Write the demo. Deterministic for (seed, today). ``by``: the admin
    asking (None: whoever runs it, allowed only on a database created as a
    demo and still empty). The demo's caseworkers, the one running it (as a
    reviewer) and the switch to demo mode are audited like real changes."""
    from core import audit
    from core.auth import os_username
    from core.services import users

    today = today or date.today()
    rng = random.Random(seed)
    with read_session(engine) as s:
        _check_refusal(s)
        _check_may_fill(s, by)
    summary: dict[str, int] = {}
    city = policy.pack.city
    me = os_username()
    setter = by or Actor(me, "admin", "", me)
    with write_session(engine) as s:
        for a in (DEMO_ADMIN, DEMO_CLERK, DEMO_CLERK2, DEMO_REVIEWER):
            if not users.exists(s, a.username):
                users.add_user(s, setter, username=a.username, role=a.role, branch=a.branch,
                               display_name=a.display_name, reason="demo caseworker")
        if not users.exists(s, me):
            users.add_user(s, setter, username=me, role="reviewer", branch="futian",
                           display_name=f"{me} (demo reviewer)", reason="runs the demo")
        set_meta(s, "demo", "1")
        set_meta(s, "demo_seed", str(seed))
        set_meta(s, "demo_today", today.isoformat())
        set_meta(s, "policy", policy.id)
        audit.record(s, setter, "db.demo", entity="database", entity_id="demo",
                     after={"demo": "1", "seed": seed, "today": today.isoformat(), "policy": policy.id},
                     reason="demo data")
    with write_session(engine) as s:
        summary["institutions"] = _institutions(s, city, policy)
    with write_session(engine) as s:
        summary["physicians"] = _physicians_and_teams(s, rng, policy)
    with write_session(engine) as s:
        summary["enrollees"] = _enrollees(s, rng, enrollees, today, city, policy)
    with write_session(engine) as s:
        summary["expenses"] = _expenses(s, rng, today, policy)
    from core.demo_workflows import fill_workflows

    summary.update(fill_workflows(engine, policy, rng, today))
    return summary


def _institutions(s: Session, city: str, policy: Policy) -> int:
    n = 0
    for code, name, zh, level, diag, dial in SZ_HOSPITALS:
        registry.add_institution(s, DEMO_ADMIN, policy=policy, code=code, name=name, name_zh=zh, kind="hospital", city=city,
                                 level=level, designated=True, diagnostic_hospital=diag, dialysis_centre=dial,
                                 province="Guangdong", reason="demo")
        n += 1
    for code, name, zh, run_by in SZ_CHCS:
        registry.add_institution(s, DEMO_ADMIN, policy=policy, code=code, name=name, name_zh=zh, kind="community_health_centre",
                                 city=city, level=1, designated=True, run_by_hospital_level=run_by,
                                 province="Guangdong", reason="demo")
        n += 1
    registry.add_institution(s, DEMO_ADMIN, policy=policy, code="SZD001", name="Luohu Haemodialysis Centre", name_zh="罗湖血液透析中心",
                             kind="dialysis_centre", city=city, level=2, designated=True, dialysis_centre=True,
                             province="Guangdong", reason="demo")
    n += 1
    for code, name, zh, c, prov, level, public, mainland, on_record in OTHER_INSTITUTIONS:
        registry.add_institution(s, DEMO_ADMIN, policy=policy, code=code, name=name, name_zh=zh, kind="hospital", city=c,
                                 province=prov, level=level, public=public, mainland=mainland,
                                 designated=True, offsite_on_record=on_record, reason="demo")
        n += 1
    return n


def _physicians_and_teams(s: Session, rng: random.Random, policy: Policy) -> int:
    specialties = sorted({d.specialty for d in policy.diseases})
    n = 0
    since = date(2020, 1, 1)
    for hosp_code, *_rest in SZ_HOSPITALS:
        diag = _rest[3]
        for spec in specialties:
            titles = ["chief", "deputy_chief", "deputy_chief", "attending"] if diag else ["attending"]
            codes = []
            for i, title in enumerate(titles):
                code = f"{hosp_code}-{spec[:4].upper()}-{i + 1}"
                registry.add_physician(s, DEMO_ADMIN, policy=policy, code=code, name=_name(rng), institution_code=hosp_code,
                                       title=title, specialty=spec, department_director=diag and i == 0,
                                       reason="demo")
                codes.append(code)
                n += 1
            if diag:
                registry.add_team_member(s, DEMO_ADMIN, institution_code=hosp_code, specialty=spec,
                                         physician_code=codes[0], is_head=True, since=since, reason="demo",
                                         policy=policy)
                for c in codes[1:3]:
                    registry.add_team_member(s, DEMO_ADMIN, institution_code=hosp_code, specialty=spec,
                                             physician_code=c, is_head=False, since=since, reason="demo",
                                             policy=policy)
    # a few physicians at on-record out-of-town hospitals for off-site certificates
    for code, _n, _z, _c, _p, level, _pub, mainland, on_record in OTHER_INSTITUTIONS:
        if on_record and mainland:
            for spec in specialties[:6] + ["cardiology", "endocrinology"]:
                pcode = f"{code}-{spec[:4].upper()}"
                if s.exec(select(Physician.id).where(Physician.code == pcode)).first():
                    continue
                registry.add_physician(s, DEMO_ADMIN, policy=policy, code=pcode, name=_name(rng), institution_code=code,
                                       title="attending", specialty=spec, reason="demo")
                n += 1
    return n


def _enrollees(s: Session, rng: random.Random, count: int, today: date, city: str, policy: Policy) -> int:
    schemes = ["comprehensive"] * 6 + ["inpatient"] * 2 + ["migrant"] * 2
    seen_ids: set[str] = set()
    elsewhere = [("Wuhan", "Hubei"), ("Changsha", "Hunan"), ("Chengdu", "Sichuan")]
    for i in range(count):
        scheme = schemes[i % len(schemes)] if i >= 10 else "comprehensive"
        age = rng.randint(22, 88)
        birth = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        household = scheme == "comprehensive" and rng.random() < 0.7
        region = rng.choice(SZ_REGIONS if household else OTHER_REGIONS)
        idn = _id_number(rng, region, birth)
        while idn in seen_ids:
            idn = _id_number(rng, region, birth)
        seen_ids.add(idn)
        employment = "retired_city_pension" if age >= 60 and scheme == "comprehensive" else "employed"
        if employment == "employed" and rng.random() < 0.05:
            employment = "unemployed"
        res_city, res_prov, stationed = city, "Guangdong", False
        # a share of retirees live elsewhere, and some household workers are posted elsewhere
        if employment == "retired_city_pension" and rng.random() < 0.15:
            res_city, res_prov = rng.choice(elsewhere)
        elif household and employment == "employed" and rng.random() < 0.08:
            res_city, res_prov = rng.choice(elsewhere)
            stationed = True
        registry.add_enrollee(
            s, DEMO_CLERK, policy=policy, id_number=idn, card_number=f"SZ{6_000_000 + i * 7 + rng.randint(0, 6):09d}",
            name=_name(rng), scheme=scheme, supplementary=scheme == "comprehensive" and rng.random() < 0.8,
            city_household=household, employment=employment,
            disabled_grade=rng.randint(1, 6) if rng.random() < 0.02 else None,
            employer="" if employment != "employed" else rng.choice(
                ["Huawei Technologies", "Ping An Insurance", "Shenzhen Metro", "BYD Auto", "Tencent", "China Merchants Bank",
                 "Futian Street Office", "Shekou Container Terminals"]),
            phone=f"13{rng.randint(100000000, 999999999)}", address=f"{rng.randint(1, 300)} Shennan Road",
            residence_city=res_city, residence_province=res_prov, stationed_elsewhere=stationed,
            individual_account_fen=rng.randint(0, 800_000), branch=rng.choice(["futian", "futian", "nanshan"]),
            is_demo=True, today=today, reason="demo",
        )
    return count


def _expenses(s: Session, rng: random.Random, today: date, policy: Policy) -> int:
    """Ordinary visits over the last 4 months for everyone, plus heavy users."""
    city_insts = list(s.exec(select(Institution).where(Institution.city == policy.pack.city)))
    people = list(s.exec(select(Enrollee).order_by(Enrollee.card_number)))
    codes = [d.code for d in policy.diseases]
    n = 0
    start = (today.replace(day=1) - timedelta(days=100)).replace(day=1)
    span = (today - start).days
    for e in people:
        for _ in range(rng.randint(0, 8)):
            day = start + timedelta(days=rng.randint(0, max(span - 1, 0)))
            when = datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))))
            kind = rng.choice(["general_outpatient"] * 4 + ["major_disease_outpatient", "pharmacy"])
            registry.add_expense(s, DEMO_CLERK, enrollee_id=e.id, occurred_at=when,
                                 amount_fen=rng.randint(3_000, 60_000), visit_kind=kind,
                                 institution_id=rng.choice(city_insts).id,
                                 disease_code=rng.choice(codes) if kind != "general_outpatient" else None,
                                 source="demo", audit_it=False)
            n += 1
    # heavy users in the previous month: too many visits, high monthly cost
    prev = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for e in people[10:13]:
        for k in range(17):
            when = datetime.combine(prev + timedelta(days=k), time(9, 0))
            registry.add_expense(s, DEMO_CLERK, enrollee_id=e.id, occurred_at=when, amount_fen=8_000,
                                 visit_kind="general_outpatient", institution_id=city_insts[k % len(city_insts)].id,
                                 source="demo", audit_it=False)
            n += 1
    for e in people[13:15]:
        registry.add_expense(s, DEMO_CLERK, enrollee_id=e.id, occurred_at=datetime.combine(prev, time(10, 0)),
                             amount_fen=650_000, visit_kind="major_disease_outpatient",
                             institution_id=city_insts[0].id, disease_code=codes[0], source="demo", audit_it=False)
        n += 1
    from core import audit

    audit.record(s, DEMO_CLERK, "expense.import", entity="expense_record", entity_id="bulk",
                 after={"rows": n}, reason="demo expense records", article=registry.expense_article(policy))
    return n


def is_demo_db(session: Session) -> bool:
    return get_meta(session, "demo") == "1"

"""Policy packs: every number and list the rules use, as validated data.

A pack is a TOML file under ``data/policies/``. It is loaded and validated
with pydantic; a malformed pack is refused with :class:`PolicyError` naming the
file, the key and the problem. The active pack is chosen in config
(``core.config``), default ``shenzhen-2008``.

Money in packs is in yuan (Decimal) and converted to fen by the helpers here;
percentages are whole-number percents (Decimal allowed).

Packs are data, articles too: every article tag a rule cites sits in the pack
next to the number or rule it governs (fields named ``article`` or
``article_*``), is checked for form, and must cite one of the sources the pack
lists in ``pack.cites``. There are no defaults for tags, so a pack never cites
another city's articles by accident. The benefit formula is picked by name
from :data:`core.rules.formulas.FORMULAS`; its parameters are validated by the
formula's own model. No rule asks which pack it runs on.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.paths import data_dir

DEFAULT_PACK = "shenzhen-2008"


class PolicyError(ValueError):
    """A pack that cannot be used. ``str()`` names file, key and problem."""

    def __init__(self, file: str, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems
        lines = [f"{file}: {key}: {msg}" for key, msg in problems]
        super().__init__("invalid policy pack\n" + "\n".join(lines))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Therapy = Literal[
    "none", "dialysis", "peritoneal_dialysis", "transplant", "kidney_transplant", "tumour"
]


#: ``SZ-MD Art. 4``, ``SZ-MD Art. 4(2)``, ``SZ-MT Art. 13(viii)``, ``ZZ §3``
_TAG_RE = re.compile(r"^(?P<source>[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*) (?:Art\. \d+|§\d+)(?:\([0-9a-z]+\))*$")


def _tag(value: str) -> str:
    if not _TAG_RE.match(value):
        raise ValueError(f"{value!r} is not an article tag (write it as 'SOURCE Art. N' or 'SOURCE §N', "
                         "optionally with a paragraph like '(2)')")
    return value


#: an article tag; every pack field holding one is named ``article`` or ``article_*``
Tag = Annotated[str, AfterValidator(_tag)]


def tag_source(tag: str) -> str:
    """The source part of a tag: ``SZ-MD`` of ``SZ-MD Art. 4``."""
    m = _TAG_RE.match(tag)
    return m.group("source") if m else ""


TitleName = Literal["attending", "deputy_chief", "chief"]


class Organ(_Strict):
    """Transplant organ in the anti-rejection scope (SZ-MD Art. 2, 3).

    ``therapy`` optionally overrides the disease's therapy for monitoring: the
    kidney organ of the transplant disease carries ``"kidney_transplant"`` so
    trigger 8 (SZ-MT Art. 13(viii)) finds it without a separate disease code.
    """

    code: str
    name_en: str
    name_zh: str
    requires_supplementary: bool = False
    therapy: Therapy | None = None


class Disease(_Strict):
    code: str
    name_en: str
    name_zh: str
    category: int = Field(ge=1, le=2)
    specialty: str
    schemes: list[Literal["comprehensive", "inpatient", "migrant"]]
    requires_supplementary: bool = False
    therapy: Therapy = "none"
    organs: list[Organ] = Field(default_factory=list)
    admission_criteria_en: str
    admission_criteria_zh: str
    monthly_cap_yuan: Decimal | None = None  # formulas with a monthly cap (capped_monthly_rate)
    article: Tag  # where the pack lists the disease

    def organ(self, code: str | None) -> Organ | None:
        for o in self.organs:
            if o.code == code:
                return o
        return None

    def therapy_for(self, organ: str | None = None) -> Therapy:
        """Therapy used by monitoring: the organ's override, else the disease's."""
        o = self.organ(organ)
        return o.therapy if o is not None and o.therapy else self.therapy

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en

    def admission_criteria(self, lang: str = "en") -> str:
        return self.admission_criteria_zh if lang.startswith("zh") else self.admission_criteria_en


class Validity(_Strict):
    """SZ-MD Art. 12: validity and re-application window."""

    category_1_years: int | None = Field(default=2, ge=1)
    category_2_years: int | None = Field(default=None, ge=1)  # None: no fixed term
    renewal_window_months: int = Field(default=3, ge=1)
    article: Tag


class Deadlines(_Strict):
    """SZ-MT Art. 14, 15."""

    notice_working_days: int = Field(ge=1)
    verification_calendar_days: int = Field(ge=1)
    decision_working_days: int = Field(ge=1)
    resumption_working_days: int = Field(ge=1)
    renewal_alert_days: int = Field(default=30, ge=0)  # worklist look-ahead
    article_notice: Tag  # notice, suspension, verification, decision
    article_resumption: Tag  # outcome and resumption


class Benefits(_Strict):
    """How benefits are computed. ``formula`` names an entry of the formula
    registry (:data:`core.rules.formulas.FORMULAS`); ``params`` are that
    formula's numbers and article tags, validated by its own model."""

    formula: str
    params: Any = None
    benefit_year_start_month: int = Field(default=1, ge=1, le=12)
    article_year: Tag  # the medical insurance year (reviewed and reimbursed by year)
    max_diseases: int | None = Field(default=None, ge=1)  # None: no limit
    article_max_diseases: Tag | None = None
    none_while_hospitalised: bool = False
    article_hospitalised: Tag | None = None
    pooling_max_yuan: Decimal | None = Field(default=None, gt=0)  # supplementary-insurance threshold (data only)

    @field_validator("formula")
    @classmethod
    def _known(cls, name: str) -> str:
        from core.rules.formulas import FORMULAS  # the registry of formula names

        if name not in FORMULAS:
            raise ValueError(f"unknown benefit formula {name!r}; known: {', '.join(sorted(FORMULAS))}")
        return name

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, params: Any, info: ValidationInfo) -> Any:
        """The formula's own model checks its parameters (numbers and tags)."""
        from core.rules.formulas import FORMULAS

        name = info.data.get("formula")
        if name not in FORMULAS:
            return params  # the formula field already failed
        try:
            return FORMULAS[name].params.model_validate(params or {})
        except ValidationError as exc:
            problems = "; ".join(f"{_loc(e['loc'])}: {e['msg']}"
                                 + (f" (got {e['input']})" if e["type"] != "missing" else "")
                                 for e in exc.errors())
            raise ValueError(f"formula {name!r}: {problems}") from None

    @model_validator(mode="after")
    def _articles(self) -> "Benefits":
        if self.max_diseases is not None and self.article_max_diseases is None:
            raise ValueError("max_diseases needs article_max_diseases (the article that sets the limit)")
        if self.none_while_hospitalised and self.article_hospitalised is None:
            raise ValueError("none_while_hospitalised needs article_hospitalised")
        return self


TriggerKind = Literal[
    "visits_month", "visits_3months", "cost_month", "general_cost_year",
    "inpatient_scheme_cost_year", "therapy_cost_month", "manual",
]


class Trigger(_Strict):
    """SZ-MT Art. 13 investigation trigger (RULES.md §11)."""

    code: str
    number: int
    kind: TriggerKind
    name_en: str
    name_zh: str
    threshold: Decimal | None = None  # visits, or yuan for costs; "more than"
    therapy: Therapy | None = None  # therapy_cost_month
    article: Tag

    @model_validator(mode="after")
    def _threshold(self) -> "Trigger":
        if self.kind != "manual" and self.threshold is None:
            raise ValueError(f"trigger {self.code!r} of kind {self.kind} needs a threshold")
        if self.kind == "therapy_cost_month" and not self.therapy:
            raise ValueError(f"trigger {self.code!r} needs a therapy")
        return self

    def name(self, lang: str = "en") -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


class Monitoring(_Strict):
    visit_merge_hours: Decimal = Field(gt=0)  # visits within this span count once
    consecutive_months: int = Field(default=3, ge=1)
    article: Tag  # the scan, manual triggers, the monitoring flag
    triggers: list[Trigger]

    @field_validator("triggers")
    @classmethod
    def _unique_triggers(cls, triggers: list[Trigger]) -> list[Trigger]:
        codes = [t.code for t in triggers]
        if len(codes) != len(set(codes)):
            raise ValueError("trigger codes must be unique")
        return triggers


class PackInfo(_Strict):
    id: str
    name_en: str
    name_zh: str
    city: str
    city_zh: str
    effective: date
    sources: list[str] = Field(default_factory=list)
    #: the sources this pack's article tags may cite (``SZ-MD``, ``ZZ`` …)
    cites: list[str] = Field(min_length=1)


class Signatures(_Strict):
    """Who signs a certificate (SZ-MD Art. 4(1); ZZ §3), as data.

    A signer qualifies with ``min_title`` or above in the disease's specialty
    at the issuing hospital, and, when ``team_list_required``, on that
    hospital's reported diagnostic team for the specialty on the signing day;
    or, when ``director_may_sign``, as the department director of the
    specialty there. ``head_must_sign``: one signer is the team head (a role
    on the team list, so it needs ``team_list_required``)."""

    required: int = Field(ge=1, le=2)  # the certificate form has two signature lines
    min_title: TitleName
    team_list_required: bool
    head_must_sign: bool
    director_may_sign: bool
    article: Tag

    @model_validator(mode="after")
    def _consistent(self) -> "Signatures":
        if self.head_must_sign and not self.team_list_required:
            raise ValueError("head_must_sign needs team_list_required: the team head is a role on the team list")
        if self.head_must_sign and self.required < 2 and self.director_may_sign:
            raise ValueError("head_must_sign with a single signature leaves no line for the department director")
        return self


class Certificates(_Strict):
    """Recognition by certificate: catalogue, who, the steps, off-site issue."""

    article: Tag  # the certificate's steps: draft, seal, confirm, monthly batch
    article_catalogue: Tag  # the disease catalogue and transplant organ scope
    article_who: Tag  # which schemes may be recognised, supplementary insurance
    article_false_claim: Tag  # invalidation for a false claim
    drafter_min_title: TitleName = "attending"
    offsite_min_level: int = Field(ge=0)  # level of an off-site issuing institution
    article_offsite: Tag
    signatures: Signatures


class Treatment(_Strict):
    """Where treatment is paid and how it is settled."""

    article_place: Tag  # designated institutions in the city; outside only in the listed cases
    article_designated: Tag  # the institution must be an active designated one
    article_dialysis: Tag  # haemodialysis only at designated dialysis centres
    article_cash: Tag  # cases settled by cash reimbursement at the agency
    article_bookkeeping: Tag  # the institution books the fund's share
    cash_therapies: list[Therapy] = Field(default_factory=list)  # always reimbursed in cash
    #: hospital stays: admission and discharge at a designated institution (Shenzhen SZ-MT Art. 7)
    article_stay: Tag | None = None


class SupplementaryAudit(_Strict):
    """Audit of supplementary medical insurance expenses (ZZ, "audit and
    reimbursement of supplementary medical insurance"): an enrollee with
    supplementary insurance qualifies with a listed disease or with the
    year's costs above the pooling fund's maximum."""

    diseases: list[str]  # disease codes of the pack's catalogue
    # condition 2 reads ``benefits.pooling_max_yuan`` (the pooling fund's maximum)
    pct: Decimal = Field(ge=Decimal(0), le=Decimal(100))  # share of the part the pooling fund left
    pct_demo: bool = False  # the text sets no rate: a demo figure
    article: Tag


class Claims(_Strict):
    """Cash reimbursement claims at the agency (SZ-MD Art. 10; SZ-MT Art. 14)."""

    article: Tag  # the cases reimbursed in cash, the examination of the receipts
    article_booked: Tag  # treatment the institution books: no cash claim
    article_suspended: Tag  # a suspended account: paid in cash, examined and reimbursed
    article_review: Tag  # a second caseworker approves
    article_large_equipment: Tag  # large-equipment examinations do not count
    large_equipment_categories: list[int] = Field(default_factory=list)  # categories the exclusion applies to
    supplementary_audit: SupplementaryAudit | None = None


class Compliance(_Strict):
    """Expert review of chronic-disease files per institution and year; the
    annual settlement multiplies the computed cost by the compliance rate."""

    article: Tag


class Settlements(_Strict):
    """The institutions book the fund's share and settle monthly."""

    article: Tag


class Books(_Strict):
    article: Tag  # one record book per enrollee, issue and renewal
    article_visit: Tag  # card and book presented at each visit


class Replacements(_Strict):
    article: Tag  # replacement of a lost certificate or book


class Offsite(_Strict):
    """Off-site filing of designated institutions."""

    institutions: int = Field(ge=1)
    min_level: int = Field(ge=0)  # township level or higher
    form_copies: int = Field(ge=1)
    article_who: Tag  # who may file, cancellation on return
    article_form: Tag  # the form, the institutions, the stamps, the voucher
    article_mainland: Tag  # mainland only


class HealthCentre(_Strict):
    article: Tag


class Enrolment(_Strict):
    """Master data the rules read: schemes, disabled servicemen."""

    article_schemes: Tag
    article_disabled: Tag
    #: the disabled-serviceman grades the pack knows (SZ-MT Art. 16: grades 1-6)
    disabled_grade_min: int = Field(default=1, ge=0)
    disabled_grade_max: int = Field(default=6, ge=0)


class AverageWage(_Strict):
    year: int
    yuan: Decimal = Field(gt=0)
    demo: bool = False  # demo figure, not an official statistic


class Policy(_Strict):
    pack: PackInfo
    #: sha256 of the pack file's bytes, set by :func:`load_file` (provenance)
    _content_hash: str = PrivateAttr(default="")
    certificates: Certificates
    treatment: Treatment
    books: Books
    replacements: Replacements
    offsite: Offsite
    health_centre: HealthCentre
    enrolment: Enrolment
    validity: Validity
    deadlines: Deadlines
    benefits: Benefits
    monitoring: Monitoring
    claims: Claims
    compliance: Compliance | None = None
    settlement: Settlements | None = None
    average_wage: list[AverageWage]
    diseases: list[Disease]

    # Field validators (not a model validator) so the error names the key
    # ("diseases", "monitoring.triggers") rather than "(top level)".
    @field_validator("diseases")
    @classmethod
    def _diseases(cls, diseases: list[Disease], info: ValidationInfo) -> list[Disease]:
        seen: set[str] = set()
        for d in diseases:
            if d.code in seen:
                raise ValueError(f"disease code {d.code!r} appears twice")
            seen.add(d.code)
        benefits = info.data.get("benefits")  # absent if it failed validation
        if benefits is not None:
            from core.rules.formulas import FORMULAS

            for problem in FORMULAS[benefits.formula].check_diseases(diseases):
                raise ValueError(problem)
        return diseases

    @model_validator(mode="after")
    def _cites(self) -> "Policy":
        """Every article tag cites one of the sources in ``pack.cites``."""
        allowed = set(self.pack.cites)
        bad = [f"{where}: {tag!r} cites {tag_source(tag)!r}" for where, tag in article_tags(self)
               if tag_source(tag) not in allowed]
        if bad:
            raise ValueError("article tags must cite one of pack.cites "
                             f"({', '.join(self.pack.cites)}): " + "; ".join(bad))
        return self

    # ----------------------------------------------------------------- look-ups
    @property
    def id(self) -> str:
        return self.pack.id

    @property
    def content_hash(self) -> str:
        """sha256 of the pack's file: with :attr:`id`, which pack decided."""
        return self._content_hash

    def disease(self, code: str) -> Disease | None:
        # a linear scan: catalogues are short, and it stays right after model_copy()
        for d in self.diseases:
            if d.code == code:
                return d
        return None

    def trigger(self, code: str) -> Trigger | None:
        for t in self.monitoring.triggers:
            if t.code == code:
                return t
        return None

    def average_wage_for(self, year: int) -> AverageWage | None:
        for w in self.average_wage:
            if w.year == year:
                return w
        return None

    def article(self, path: str) -> str:
        """The tag at ``path`` in the pack (``certificates.signatures.article``):
        how a table outside the pack (the workflow machines) names the article
        an event rests on without naming a city. KeyError for a path that
        does not lead to a tag."""
        node: Any = self
        for part in path.split("."):
            if not isinstance(node, BaseModel) or part not in type(node).model_fields:
                raise KeyError(f"{path!r} is not an article of the pack")
            node = getattr(node, part)
        last = path.rsplit(".", 1)[-1]
        if not isinstance(node, str) or not (last == "article" or last.startswith("article_")):
            raise KeyError(f"{path!r} is not an article of the pack")
        return node

    def validity_years(self, category: int) -> int | None:
        return self.validity.category_1_years if category == 1 else self.validity.category_2_years


def article_tags(model: BaseModel, where: str = "") -> list[tuple[str, str]]:
    """Every (key, tag) in ``model``: fields named ``article`` or ``article_*``."""
    out: list[tuple[str, str]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{where}.{name}" if where else name
        if (name == "article" or name.startswith("article_")) and isinstance(value, str):
            out.append((key, value))
        elif isinstance(value, BaseModel):
            out += article_tags(value, key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    out += article_tags(item, f"{key}[{i}]")
    return out


def packs_dir() -> Path:
    return data_dir() / "policies"


def available_packs() -> list[str]:
    # <pack>.rules.toml beside a pack holds its rules' words (core.rulebook), not a pack
    return sorted(p.stem for p in packs_dir().glob("*.toml") if not p.name.endswith(".rules.toml"))


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


MAX_PACK_BYTES = 1_000_000
#: A pack id as named in config or ``--policy``: the file stem of an installed pack.
PACK_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def load_file(path: Path) -> Policy:
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError(name, [("(file)", "no such policy pack")]) from None
    except OSError as exc:
        raise PolicyError(name, [("(file)", f"cannot be read ({exc.strerror or type(exc).__name__})")]) from None
    if len(data) > MAX_PACK_BYTES:
        raise PolicyError(name, [("(file)", f"larger than {MAX_PACK_BYTES} bytes; not a policy pack")])
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise PolicyError(name, [("(file)", "not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(name, [("(syntax)", str(exc))]) from None
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        problems = [(_loc(e["loc"]), e["msg"]) for e in exc.errors()]
        raise PolicyError(name, problems) from None
    policy._content_hash = hashlib.sha256(data).hexdigest()
    return policy


def _not_admin_owned(path: Path) -> str | None:
    """Why ``path`` may not hold packs, or None: it must be owned by root or
    by the account casedesk runs as, and writable by nobody else."""
    try:
        st = path.stat()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    if st.st_uid not in (0, os.geteuid()):
        return "is not owned by root or the casedesk service account"
    if st.st_mode & 0o022:
        return "is writable by group or others"
    return None


def find_pack(pack_id: str, policy_dir: str | Path | None = None) -> Path:
    """The installed file of ``pack_id``: ``data/policies`` first, then the
    admin-owned directory named in config (``policy_dir``)."""
    if not isinstance(pack_id, str) or not PACK_ID.fullmatch(pack_id):
        shown = str(pack_id)[:40] + ("…" if len(str(pack_id)) > 40 else "")
        raise PolicyError("policy", [("policy", f"{shown!r} is not a pack id (lower-case letters, digits, . _ -; "
                                      f"installed: {', '.join(available_packs())})")])
    if pack_id.endswith(".rules"):
        raise PolicyError("policy", [("policy", f"{pack_id!r} is a pack's rules file, not a pack; installed: "
                                      f"{', '.join(available_packs())}")])
    installed = packs_dir() / f"{pack_id}.toml"
    if installed.is_file():
        return installed
    if policy_dir:
        directory = Path(policy_dir)
        candidate = directory / f"{pack_id}.toml"
        for where in (directory, candidate):
            problem = _not_admin_owned(where) if where.exists() or where == directory else None
            if problem:
                raise PolicyError(str(where), [("policy_dir", problem)])
        if candidate.is_file():
            return candidate
    raise PolicyError(str(installed), [("(file)", f"no such policy pack; installed: {', '.join(available_packs())}")])


@lru_cache(maxsize=8)
def load_pack(pack_id: str = DEFAULT_PACK, *, policy_dir: str | None = None, allow_path: bool = False) -> Policy:
    """Load an installed pack by id (issue 9, item 8). A path to a TOML file
    is accepted only with ``allow_path`` (demo databases and tests); anywhere
    else it is refused, so nobody decides by a pack of their own making."""
    if allow_path and pack_id.endswith(".toml"):
        return load_file(Path(pack_id))
    if pack_id.endswith(".toml") or "/" in pack_id:
        raise PolicyError("policy", [("policy", "a pack file is accepted only on a demo database; name an installed "
                                      f"pack ({', '.join(available_packs())}) or ask an admin to install it")])
    return load_file(find_pack(pack_id, policy_dir))


def yuan_to_fen(yuan: Decimal | int | str) -> int:
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1)))


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def stamp(record, policy: Policy) -> None:
    """Write which pack decides ``record`` into its ``policy_pack`` and
    ``policy_hash`` columns (issue 9, item 8): the id and the sha256 of the
    pack file, so a record says which rules it was decided by."""
    record.policy_pack = policy.id
    record.policy_hash = policy.content_hash

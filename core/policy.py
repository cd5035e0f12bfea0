"""Policy packs: every number and list the rules use, as validated data.

A pack is a TOML file under ``data/policies/``. It is loaded and validated
with pydantic; a malformed pack is refused with :class:`PolicyError` naming the
file, the key and the problem. The active pack is chosen in config
(``core.config``), default ``shenzhen-2008``.

Money in packs is in yuan (Decimal) and converted to fen by the helpers here;
percentages are whole-number percents (Decimal allowed).
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
from typing import Literal

from pydantic import (
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
    monthly_cap_yuan: Decimal | None = None  # ZZ §4
    article: str = "SZ-MD Art. 2"

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
    article: str = "SZ-MD Art. 12"


class Deadlines(_Strict):
    """SZ-MT Art. 14, 15."""

    notice_working_days: int = Field(ge=1)
    verification_calendar_days: int = Field(ge=1)
    decision_working_days: int = Field(ge=1)
    resumption_working_days: int = Field(ge=1)
    renewal_alert_days: int = Field(default=30, ge=0)  # worklist look-ahead
    article_notice: str = "SZ-MT Art. 14"
    article_resumption: str = "SZ-MT Art. 15"


class Benefits(_Strict):
    """How benefits are computed. ``model`` picks the formula."""

    model: Literal["shenzhen", "zezhou"]
    # Shenzhen (SZ-MD Art. 6, 7)
    cat1_threshold_pct_of_avg_wage: Decimal | None = None
    cat1_basic_pooling_pct: Decimal | None = None
    cat1_supplementary_pooling_pct: Decimal | None = None
    cat2_basic_pct: Decimal | None = None
    cat2_supplementary_pct: Decimal | None = None
    # Zezhou (ZZ §4)
    community_pct: Decimal | None = None
    other_pct: Decimal | None = None
    max_diseases: int | None = None
    max_diseases_article: str = "ZZ §4"  # cited when max_diseases refuses a certificate
    none_while_hospitalised: bool = False
    pooling_max_yuan: Decimal | None = None  # ZZ supplementary threshold
    benefit_year_start_month: int = Field(default=1, ge=1, le=12)

    @model_validator(mode="after")
    def _complete(self) -> "Benefits":
        need = {
            "shenzhen": [
                "cat1_threshold_pct_of_avg_wage",
                "cat1_basic_pooling_pct",
                "cat1_supplementary_pooling_pct",
                "cat2_basic_pct",
                "cat2_supplementary_pct",
            ],
            "zezhou": ["community_pct", "other_pct", "max_diseases"],
        }[self.model]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"benefit model {self.model!r} needs {', '.join(missing)}")
        for k in ("cat1_basic_pooling_pct", "cat1_supplementary_pooling_pct", "cat2_basic_pct",
                  "cat2_supplementary_pct", "community_pct", "other_pct",
                  "cat1_threshold_pct_of_avg_wage"):
            v = getattr(self, k)
            if v is not None and not (Decimal(0) <= v <= Decimal(100)):
                raise ValueError(f"{k} must be a percentage between 0 and 100, got {v}")
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
    article: str = "SZ-MT Art. 13"

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
    certificate_signatures: int = Field(default=2, ge=1)
    signer_min_title: Literal["attending", "deputy_chief", "chief"] = "deputy_chief"
    head_must_sign: bool = True
    certificate_article: str = "SZ-MD Art. 4"  # cited by the certificate signature rules (ZZ: "ZZ §3")
    offsite_min_level: int = Field(default=2, ge=0)  # SZ-MD Art. 4(2)
    filing_institutions: int = Field(default=3, ge=1)  # SZ-MT Art. 9
    filing_min_level: int = Field(default=1, ge=0)  # township level or higher
    filing_form_copies: int = Field(default=3, ge=1)


class AverageWage(_Strict):
    year: int
    yuan: Decimal = Field(gt=0)
    demo: bool = False  # demo figure, not an official statistic


class Policy(_Strict):
    pack: PackInfo
    #: sha256 of the pack file's bytes, set by :func:`load_file` (provenance)
    _content_hash: str = PrivateAttr(default="")
    validity: Validity
    deadlines: Deadlines
    benefits: Benefits
    monitoring: Monitoring
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
        if benefits is not None and benefits.model == "zezhou":
            for d in diseases:
                if d.monthly_cap_yuan is None:
                    raise ValueError(f"disease {d.code!r} needs monthly_cap_yuan (ZZ §4)")
        return diseases

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

    def validity_years(self, category: int) -> int | None:
        return self.validity.category_1_years if category == 1 else self.validity.category_2_years


def packs_dir() -> Path:
    return data_dir() / "policies"


def available_packs() -> list[str]:
    return sorted(p.stem for p in packs_dir().glob("*.toml"))


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

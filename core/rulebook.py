"""The rules a pack holds, readable from the product (issue 13, item 8).

Each shipped pack ``data/policies/<pack>.toml`` has a rules file beside it,
``data/policies/<pack>.rules.toml``: what each rule says, in the project's own
words (English and Chinese), written from the regulations (``RULES.md``, the
seeds). The file holds words only. The rest is read, never typed twice:

* the **article** of each rule comes from the pack (the paths in
  ``articles`` are pack fields named ``article`` / ``article_*``,
  :meth:`core.policy.Policy.article`);
* its **numbers** come from the pack (the paths in ``numbers``; a text may
  show one inline as ``{validity.category_1_years}``);
* **where casedesk applies it** is derived from the code: every place in
  ``core/`` that reads the article's pack field (``policy.books.article``,
  ``t.article_place`` after ``t = policy.treatment``, a parameter annotated
  ``Trigger``) and every workflow event whose table names the path
  (``core.workflows.definitions``).

Adding a rule is one ``[[rule]]`` entry:

.. code-block:: toml

    [[rule]]
    id = "claims.cash"                       # stable, unique in the file
    articles = ["claims.article"]            # pack paths of its article tag(s)
    numbers = ["claims.max_receipts"]        # pack paths of its numbers (optional)
    en.title = "Cash reimbursement claims"
    en.text = "..."
    zh_CN.title = "现金报销"
    zh_CN.text = "..."

``tests/test_rulebook.py`` fails while an article or a number of a shipped
pack has no entry, and ``docs/rules-<pack>.md`` (``python tools/rules.py``)
is stale.

A list in the pack is addressed with ``[*]``: ``diseases[*].article``,
``monitoring.triggers[*].threshold``; ``diseases[*]`` alone lists the items.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.i18n import N_
from core.policy import Policy, PolicyError, _loc, article_tags, packs_dir

RULES_SUFFIX = ".rules.toml"
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.\[\]*]*)\}")
_CORE = Path(__file__).resolve().parent


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)


class RuleEntry(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_.-]*$")
    articles: list[str] = Field(min_length=1)
    numbers: list[str] = Field(default_factory=list)
    #: a pack whose rules file has the words for this id (a rule this pack reuses)
    same_as: str | None = None
    en: Words | None = None
    zh_CN: Words | None = None

    @model_validator(mode="after")
    def _words(self) -> "RuleEntry":
        if self.same_as is None and (self.en is None or self.zh_CN is None):
            raise ValueError(f"rule {self.id}: needs en and zh_CN words (title, text), or same_as = PACK")
        return self


class RulesFile(_Strict):
    pack: str
    rule: list[RuleEntry]

    @field_validator("rule")
    @classmethod
    def _unique(cls, rules: list[RuleEntry]) -> list[RuleEntry]:
        ids = [r.id for r in rules]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"rule ids appear twice: {', '.join(dup)}")
        return rules


def rules_path(pack_file: Path) -> Path:
    """The rules file beside a pack file."""
    return pack_file.with_name(pack_file.name.removesuffix(".toml") + RULES_SUFFIX)


def load_rules(path: Path) -> RulesFile | None:
    """The rules file at ``path``, validated; None when there is none."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _load_rules(path, stamp)


@lru_cache(maxsize=16)
def _load_rules(path: Path, _stamp: int) -> RulesFile | None:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), [("(file)", f"cannot be read ({exc})")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(str(path), [("(syntax)", str(exc))]) from None
    try:
        return RulesFile.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(str(path), [(_loc(e["loc"]), e["msg"]) for e in exc.errors()]) from None


# ----------------------------------------------------------------- pack paths
def _items_label(item: Any) -> str:
    for key in ("code", "year", "number", "id"):
        if hasattr(item, key):
            return str(getattr(item, key))
    return "?"


def resolve(policy: Policy, path: str) -> list[tuple[str, Any]]:
    """(label, value) pairs at ``path`` in the pack: one pair with an empty
    label for a plain path, one per item after ``[*]``. KeyError when the
    path leads nowhere."""
    found: list[tuple[str, Any]] = [("", policy)]
    for part in path.split("."):
        many = part.endswith("[*]")
        name = part.removesuffix("[*]")
        nxt: list[tuple[str, Any]] = []
        for label, node in found:
            if not isinstance(node, BaseModel) or name not in type(node).model_fields:
                raise KeyError(f"{path!r} is not a field of the pack")
            value = getattr(node, name)
            if many:
                if not isinstance(value, list):
                    raise KeyError(f"{path!r}: {name} is not a list")
                nxt += [(_items_label(v), v) for v in value]
            else:
                nxt.append((label, value))
        found = nxt
    return found


def show_value(value: Any, lang: str = "en") -> str:
    from core.i18n import translate

    if value is None:
        return "-"
    if isinstance(value, bool):
        return translate(N_("yes") if value else N_("no"), lang)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, list):
        return ", ".join(show_value(v, lang) for v in value) or "-"
    if isinstance(value, BaseModel):
        name = getattr(value, "name_en", None)
        return f"{_items_label(value)} {name}" if name else _items_label(value)
    return str(value)


def _pattern(key: str) -> str:
    """``diseases[3].article`` → ``diseases[*].article``."""
    return re.sub(r"\[\d+\]", "[*]", key)


def article_paths(policy: Policy) -> list[str]:
    """Every article path the pack holds, lists folded to ``[*]``, in pack order."""
    out: list[str] = []
    for key, _tag in article_tags(policy):
        p = _pattern(key)
        if p not in out:
            out.append(p)
    return out


_NOT_NUMBERS = {"name_en", "name_zh", "admission_criteria_en", "admission_criteria_zh", "code"}


def number_paths(policy: Policy) -> list[str]:
    """Every value of the pack outside ``[pack]`` that is not an article tag
    or a name: what a rule's ``numbers`` must cover. A list of records counts
    as one path (``diseases[*]``): naming it or any of its fields covers it."""
    out: list[str] = []

    def walk(model: BaseModel, where: str) -> None:
        for name in type(model).model_fields:
            if name == "article" or name.startswith("article_") or name in _NOT_NUMBERS:
                continue
            value = getattr(model, name)
            key = f"{where}.{name}" if where else name
            if isinstance(value, BaseModel):
                walk(value, key)
            elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
                out.append(f"{key}[*]")
            elif value not in (None, False, [], ""):  # an option the pack leaves unset is no number
                out.append(key)

    for name in type(policy).model_fields:
        if name == "pack":
            continue
        value = getattr(policy, name)
        if isinstance(value, BaseModel):
            walk(value, name)
        elif isinstance(value, list) and value:
            out.append(f"{name}[*]")
    return out


def covers(named: str, needed: str) -> bool:
    """Does a ``numbers`` entry ``named`` cover the pack path ``needed``?"""
    return named == needed or (needed.endswith("[*]") and named.startswith(needed))


# ------------------------------------------------------- where it is applied
@lru_cache(maxsize=1)
def _model_paths() -> dict[str, str]:
    """Pack model class name → its path in the pack (``Trigger`` →
    ``monitoring.triggers[*]``), for parameters annotated with it."""
    from core.rules.formulas import FORMULAS

    out: dict[str, str] = {}

    def walk(cls: type[BaseModel], where: str) -> None:
        out.setdefault(cls.__name__, where)
        for name, info in cls.model_fields.items():
            ann = info.annotation
            args = getattr(ann, "__args__", ()) or ()
            for t in (ann, *args):
                if isinstance(t, type) and issubclass(t, BaseModel):
                    many = getattr(ann, "__origin__", None) is list
                    walk(t, f"{where}.{name}{'[*]' if many else ''}" if where else f"{name}{'[*]' if many else ''}")

    walk(Policy, "")
    for f in FORMULAS.values():
        out.setdefault(f.params.__name__, "benefits.params")
    out.pop("Policy", None)
    # what a look-up method of the pack returns: policy.trigger(code) is a Trigger
    import inspect

    for name, fn in inspect.getmembers(Policy, inspect.isfunction):
        ret = str(inspect.signature(fn).return_annotation)
        cls = next((c for c in re.findall(r"[A-Za-z_]+", ret) if c in out), None)
        if cls and not name.startswith("_"):
            out[f"Policy.{name}()"] = out[cls]
    return out


def _chain(node: ast.AST) -> list[str] | None:
    """``policy.books.article`` → ["policy", "books", "article"]."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    if isinstance(node, ast.Call) and parts:  # load_pack().offsite.article_who, policy.trigger(c).article
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        return ["<call>", name, *parts[::-1]]
    return None


class _Scan(ast.NodeVisitor):
    """Places in one module that read an article field of the pack."""

    def __init__(self, module: str, known: set[str]):
        self.module = module
        self.known = known  # article paths (``[*]`` folded to ``.``-free form)
        self.scope: list[str] = []
        self.aliases: list[dict[str, str]] = [{}]
        self.found: dict[str, set[str]] = {}

    # scopes ------------------------------------------------------------
    def _where(self) -> str:
        return f"{self.module}.{'.'.join(self.scope)}" if self.scope else self.module

    def _enter(self, node: ast.AST, name: str) -> None:
        self.scope.append(name)
        self.aliases.append(dict(self.aliases[-1]))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                cls = self._annotation(arg.annotation)
                if cls:
                    self.aliases[-1][arg.arg] = cls
        self.generic_visit(node)
        self.aliases.pop()
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._enter(node, node.name)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._enter(node, node.name)

    def _annotation(self, ann: ast.AST | None) -> str | None:
        if ann is None:
            return None
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except SyntaxError:
                return None
        names = [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(ann)
                 if isinstance(n, (ast.Name, ast.Attribute))]
        for n in names:
            if n in _model_paths():
                return _model_paths()[n]
        return None

    # aliases: t = policy.treatment; for trig in policy.monitoring.triggers
    def _section(self, node: ast.AST) -> str | None:
        chain = _chain(node)
        if not chain:
            return None
        return self._prefix(chain)

    def _prefix(self, chain: list[str]) -> str | None:
        root, rest = chain[0], chain[1:]
        if root == "<call>":
            method = _model_paths().get(f"Policy.{rest[0]}()")  # policy.trigger(c).article
            return ".".join([method, *rest[1:]]) if method else ".".join(rest[1:]) or None
        base = self.aliases[-1].get(root)
        if base is not None:
            return ".".join([base, *rest]) if rest else base
        if "policy" in chain[:-1] or root in ("p", "pack"):
            i = max(i for i, c in enumerate(chain) if c in ("policy", "pack", "p"))
            return ".".join(chain[i + 1:]) or None
        # last resort, a variable named after its model: ``trig`` / ``trigger`` is a Trigger
        if len(root) >= 4:
            for cls, where in _model_paths().items():
                if cls.isidentifier() and cls.lower().startswith(root.lower()):
                    return ".".join([where, *rest]) if rest else where
        return None

    def _named(self, node: ast.AST, target: ast.AST) -> bool:
        """A table at module level (``ENROLLEE_FIELDS = {...}``) is the place its entries are applied."""
        if self.scope or not isinstance(target, ast.Name):
            return False
        self.scope.append(target.id)
        self.generic_visit(node)
        self.scope.pop()
        return True

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not self._named(node, node.target):
            self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if len(node.targets) == 1 and self._named(node, node.targets[0]):
            return
        sec = self._section(node.value)
        if sec is None and isinstance(node.value, ast.Call):  # trig = policy.trigger(code)
            f = node.value.func
            if isinstance(f, ast.Attribute) and f"Policy.{f.attr}()" in _model_paths():
                sec = _model_paths()[f"Policy.{f.attr}()"]
        if sec is not None:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.aliases[-1][t.id] = sec
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        sec = self._section(node.iter)
        if sec is not None and isinstance(node.target, ast.Name):
            self.aliases[-1][node.target.id] = sec + "[*]"
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        sec = self._section(node.iter)
        if sec is not None and isinstance(node.target, ast.Name):
            self.aliases[-1][node.target.id] = sec + "[*]"
        self.generic_visit(node)

    # reads -------------------------------------------------------------
    def _hit(self, path: str) -> None:
        self.found.setdefault(path, set()).add(self._where())

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "article" or node.attr.startswith("article_"):
            chain = _chain(node)
            if chain:
                path = self._prefix(chain)
                if path in self.known:
                    self._hit(path)
                else:  # a field name only one path of the pack has (``x.article_cat2``)
                    tail = [k for k in self.known if k.rsplit(".", 1)[-1] == node.attr]
                    if len(tail) == 1 and node.attr != "article":
                        self._hit(tail[0])
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        # policy.article("certificates.article"), tables naming a path
        if isinstance(node.value, str) and node.value in self.known:
            self._hit(node.value)


@lru_cache(maxsize=4)
def _code_places(known: frozenset[str]) -> dict[str, tuple[str, ...]]:
    places: dict[str, set[str]] = {}
    root = _CORE.parent
    for path in sorted(_CORE.rglob("*.py")):
        rel = path.relative_to(root)
        if "migrations" in rel.parts or path.name in ("rulebook.py", "policy.py"):  # not the pack's own model
            continue
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        if module == "core.workflows.definitions":
            continue  # the events are named below, from the tables themselves
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError):
            continue
        scan = _Scan(module, set(known))
        scan.visit(tree)
        for p, where in scan.found.items():
            places.setdefault(p, set()).update(where)
    from core.workflows import MACHINES

    for m in MACHINES:
        for e in m.events:
            if e.article in known:
                places.setdefault(e.article, set()).add(f"core.workflows:{m.name}.{e.name}")
    return {p: tuple(sorted(w)) for p, w in places.items()}


def applied_at(policy: Policy) -> dict[str, tuple[str, ...]]:
    """article path → the places in ``core`` that apply it."""
    return _code_places(frozenset(article_paths(policy)))


# --------------------------------------------------------------- the listing
@dataclass(frozen=True)
class Number:
    path: str
    values: tuple[tuple[str, str], ...]  # (item label or "", shown value)

    def shown(self) -> str:
        return "; ".join(f"{label} {value}" if label else value for label, value in self.values) or "-"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.shown(),
                "values": [{"item": label, "value": value} if label else {"value": value}
                           for label, value in self.values]}


@dataclass(frozen=True)
class Rule:
    id: str
    articles: tuple[str, ...]  # the tags, from the pack
    paths: tuple[str, ...]  # the pack paths they are read from
    title: str
    text: str  # empty when the pack's rules file has no entry for it
    numbers: tuple[Number, ...] = ()
    applied: tuple[str, ...] = field(default=())
    same_as: str = ""  # the pack whose rule this one reuses (its words)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "articles": list(self.articles), "paths": list(self.paths), "title": self.title,
                "text": self.text, "numbers": [n.as_dict() for n in self.numbers], "applied": list(self.applied),
                "same_as": self.same_as or None}


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, BaseModel) and hasattr(value, "name_en"):
        return value.name_zh if lang.startswith("zh") else value.name_en  # type: ignore[attr-defined]
    return show_value(value, lang)


def _number(policy: Policy, path: str, lang: str = "en") -> Number:
    pairs = resolve(policy, path)
    if len(pairs) == 1 and isinstance(pairs[0][1], list) and pairs[0][1] and isinstance(pairs[0][1][0], BaseModel):
        pairs = [(_items_label(v), v) for v in pairs[0][1]]  # ``diseases[*]`` written as ``diseases``
    if any(label for label, _v in pairs):  # list items: the ones that hold a value
        pairs = [(label, v) for label, v in pairs if v is not None]
    return Number(path, tuple((label, _shown(v, lang)) for label, v in pairs))


def fill(text: str, policy: Policy, lang: str = "en") -> str:
    """``{path}`` placeholders replaced by the pack's values; the lines of a
    TOML multi-line string joined into one paragraph."""
    text = re.sub(r"\s*\n\s*", " ", text.strip())
    return _PLACEHOLDER.sub(lambda m: _number(policy, m.group(1), lang).shown(), text)


def _tags(policy: Policy, paths: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    tags: list[str] = []
    for p in paths:
        for _label, tag in resolve(policy, p):
            if isinstance(tag, str) and tag and tag not in tags:
                tags.append(tag)
    return tuple(tags)


def pack_rules_file(policy: Policy, pack_file: Path | None = None) -> RulesFile | None:
    path = rules_path(pack_file) if pack_file else packs_dir() / f"{policy.id}{RULES_SUFFIX}"
    return load_rules(path)


def _words(entry: RuleEntry, lang: str) -> Words | None:
    """The entry's words, or those of the same id in the pack it names in ``same_as``."""
    if entry.same_as is not None:
        other = load_rules(packs_dir() / f"{entry.same_as}{RULES_SUFFIX}")
        found = next((e for e in other.rule if e.id == entry.id and e.same_as is None), None) if other else None
        return _words(found, lang) if found else None
    return entry.zh_CN if lang.startswith("zh") else entry.en


def rules(policy: Policy, lang: str = "en", pack_file: Path | None = None) -> list[Rule]:
    """Every rule the pack holds, in the rules file's order; an article of
    the pack the file does not describe follows with no text (so nothing the
    pack holds is left out)."""
    book = pack_rules_file(policy, pack_file)
    where = applied_at(policy)
    out: list[Rule] = []
    covered: set[str] = set()
    for entry in book.rule if book else []:
        words = _words(entry, lang) or Words(title=entry.id, text="-")
        covered.update(entry.articles)
        out.append(Rule(
            id=entry.id, articles=_tags(policy, entry.articles), paths=tuple(entry.articles),
            title=words.title, text=fill(words.text, policy, lang), same_as=entry.same_as or "",
            numbers=tuple(_number(policy, p, lang) for p in entry.numbers),
            applied=tuple(sorted({w for p in entry.articles for w in where.get(p, ())})),
        ))
    for p in article_paths(policy):
        if p not in covered:
            out.append(Rule(id=p, articles=_tags(policy, [p]), paths=(p,), title=p, text="",
                            applied=where.get(p, ())))
    return out


def problems(policy: Policy, pack_file: Path | None = None) -> list[str]:
    """What the pack's rules file leaves out or gets wrong (the test of
    every shipped pack): no file, a path that is not in the pack, an article
    or a number of the pack no entry names, a placeholder that leads nowhere."""
    book = pack_rules_file(policy, pack_file)
    if book is None:
        return [f"{policy.id}: no rules file ({policy.id}{RULES_SUFFIX} beside the pack)"]
    out: list[str] = []
    if book.pack != policy.id:
        out.append(f"pack = {book.pack!r} but the pack's id is {policy.id!r}")
    arts = article_paths(policy)
    named_articles = {p for e in book.rule for p in e.articles}
    named_numbers = [p for e in book.rule for p in e.numbers]
    for e in book.rule:
        for p in e.articles:
            if p not in arts:
                out.append(f"rule {e.id}: articles: {p!r} is not an article path of the pack")
        for p in e.numbers:
            try:
                resolve(policy, p)
            except KeyError:
                out.append(f"rule {e.id}: numbers: {p!r} is not a field of the pack")
        for lang in ("en", "zh_CN"):
            words = _words(e, lang)
            if words is None:
                out.append(f"rule {e.id}: same_as = {e.same_as!r} has no rule {e.id!r} with words")
                continue
            for m in _PLACEHOLDER.finditer(words.text):
                try:
                    resolve(policy, m.group(1))
                except KeyError:
                    out.append(f"rule {e.id}: {lang}.text: {{{m.group(1)}}} is not a field of the pack")
    for p in arts:
        if p not in named_articles:
            out.append(f"article {p} ({', '.join(_tags(policy, [p]))}) has no [[rule]] entry: add one with "
                       f"articles = [\"{p}\"]")
    for p in number_paths(policy):
        if not any(covers(n, p) for n in named_numbers):
            out.append(f"number {p} is in no rule's numbers: add \"{p}\" to the entry of its article")
    return out


# ------------------------------------------------------------- for printing
#: headings the listing prints (``casedesk rules``, docs/rules-<pack>.md)
HEADINGS = {
    "rules": N_("{count} rules in the {pack} pack"),
    "numbers": N_("Numbers (from the pack)"),
    "applied": N_("Where casedesk applies it"),
    "not_applied": N_("not applied by casedesk yet"),
    "no_words": N_("no words for this rule in the pack's rules file yet"),
    "same_as": N_("the same rule as in the {pack} pack"),
}


def heading(key: str, lang: str = "en", **params: Any) -> str:
    from core.i18n import translate

    return translate(HEADINGS[key], lang, **params)


def applied_groups(applied: tuple[str, ...] | list[str]) -> list[tuple[str, list[str]]]:
    """``core.rules.books.check_issue`` … grouped by module:
    [("core.rules.books", ["check_issue", …]), ("core.workflows", ["books.issue", …])]."""
    groups: dict[str, list[str]] = {}
    for place in applied:
        if ":" in place:
            module, _, name = place.partition(":")
        else:
            module, name = _module_of(place)
        groups.setdefault(module, []).append(name)
    return [(m, sorted(set(n))) for m, n in groups.items()]


@lru_cache(maxsize=512)
def _module_of(place: str) -> tuple[str, str]:
    """Split ``core.rules.books.check_issue`` at the module (a file under core/)."""
    parts = place.split(".")
    for i in range(len(parts), 0, -1):
        rel = Path(*parts[:i])
        if (_CORE.parent / rel).with_suffix(".py").is_file() or (_CORE.parent / rel / "__init__.py").is_file():
            return ".".join(parts[:i]), ".".join(parts[i:]) or "(module)"
    return place, "(module)"

"""User configuration: ``config.toml`` in the platform's config directory.

Keys: ``db`` (URL or path), ``policy`` (pack id), ``lang`` (en | zh_CN),
``print_dir`` (where printed PDFs are saved), ``pdf_font`` (a CJK font file),
``policy_dir`` (an admin-owned directory of further packs: owned by root or
the service account and writable by nobody else; packs are never taken from
anywhere else outside demo).
The root-owned system config ``/etc/casedesk/config.toml``
(:func:`core.auth.system_config`; it also names the ``service_account``) gives
the defaults the user's file overrides. Environment variables ``CASEDESK_DB``, ``CASEDESK_POLICY``, ``CASEDESK_LANG``
override the file; command-line options override both.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.policy import DEFAULT_PACK


def config_path() -> Path:
    env = os.environ.get("CASEDESK_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("casedesk", appauthor=False)) / "config.toml"


@dataclass(frozen=True)
class Config:
    db: str | None = None
    policy: str = DEFAULT_PACK
    lang: str | None = None
    print_dir: str | None = None
    pdf_font: str | None = None
    policy_dir: str | None = None


def load_config() -> Config:
    from core.auth import system_config

    raw: dict = {}
    path = config_path()
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: {exc}") from None
    # the administrator's /etc/casedesk/config.toml (root-owned) is the base layer
    raw = {**{k: v for k, v in system_config().items() if k != "service_account"}, **raw}
    return Config(
        db=os.environ.get("CASEDESK_DB") or raw.get("db"),
        policy=os.environ.get("CASEDESK_POLICY") or raw.get("policy") or DEFAULT_PACK,
        lang=os.environ.get("CASEDESK_LANG") or raw.get("lang"),
        print_dir=os.environ.get("CASEDESK_PRINT_DIR") or raw.get("print_dir"),
        pdf_font=os.environ.get("CASEDESK_PDF_FONT") or raw.get("pdf_font"),
        policy_dir=raw.get("policy_dir") if isinstance(raw.get("policy_dir"), str) else None,
    )

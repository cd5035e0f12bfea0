"""Print a document from its record: build, draw, save, send to the printer,
and record who printed what and when (SZ-MT Art. 10, 14, 15; SZ-MD Art. 4, 5).

The file is written and the audit event recorded in one transaction: a file
that cannot be written records nothing. The printer is asked only after the
commit (``lp``, when CUPS is installed), and its answer is reported, never
hidden.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from core import audit
from core.auth import Actor
from core.documents import build, render
from core.errors import DomainError
from core.i18n import N_
from core.policy import Policy
from core.sync.ops import local_write


@dataclass(frozen=True)
class Printed:
    kind: str
    number: str
    lang: str
    path: Path
    sha256: str
    pages_text: str  # the document's text, for a preview
    printer: str = ""  # what lp said, or "" when not sent

    def as_dict(self) -> dict:
        return {"kind": self.kind, "number": self.number, "lang": self.lang, "path": str(self.path),
                "sha256": self.sha256, "printer": self.printer}


def default_folder() -> Path:
    """Where printed PDFs are kept: ``print_dir`` in config.toml, else the
    user's documents folder."""
    from core.config import load_config

    configured = load_config().print_dir
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_documents_dir

    return Path(user_documents_dir()) / "casedesk"


def file_name(kind: str, number: str, lang: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in number)
    return f"{kind}-{safe}-{lang}.pdf"


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by its owner only (the sheet holds personal data)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


@local_write("documents.print_document")  # the paper printed here: this desk's own event
def print_document(session: Session, actor: Actor, policy: Policy, kind: str, number: str, *, lang: str,
                   on: date, out: Path | None = None) -> Printed:
    """Build and save the document; records a ``document.print`` audit event.
    Call :func:`send_to_printer` after the commit."""
    actor.require("record", action="print a document")
    doc = build(session, policy, kind, number, lang=lang, on=on)
    pdf = render(doc)
    path = out if out is not None else default_folder() / file_name(kind, doc.number, lang)
    try:
        _write_private(path, pdf)
    except OSError as exc:
        raise DomainError.one("", "out", N_("The document could not be saved to {path}: {problem}."),
                              path=str(path), problem=exc.strerror or type(exc).__name__) from None
    digest = hashlib.sha256(pdf).hexdigest()
    audit.record(session, actor, "document.print", entity=doc.entity, entity_id=doc.entity_id,
                 after={"kind": kind, "number": doc.number, "lang": lang, "sha256": digest},
                 reason=f"printed {kind}", article=doc.article, enrollee_id=doc.enrollee_id)  # type: ignore[arg-type]
    return Printed(kind=kind, number=doc.number, lang=lang, path=path, sha256=digest, pages_text=doc.text())


def printer_available() -> bool:
    return shutil.which("lp") is not None


def send_to_printer(printed: Printed) -> Printed:
    """Send the saved PDF to the default printer with CUPS's ``lp``; the
    answer (or why not) comes back in ``printer``."""
    exe = shutil.which("lp")
    if exe is None:
        return printed
    try:
        r = subprocess.run([exe, "--", str(printed.path)], capture_output=True, text=True, timeout=30)
        said = (r.stdout or r.stderr).strip().splitlines()
        answer = said[0] if said else ("sent" if r.returncode == 0 else f"lp exit {r.returncode}")
    except (OSError, subprocess.TimeoutExpired) as exc:
        answer = f"lp failed: {type(exc).__name__}"
    from dataclasses import replace

    return replace(printed, printer=answer)

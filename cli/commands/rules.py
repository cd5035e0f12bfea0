"""``casedesk rules``: every rule the active pack holds (issue 13, item 8)."""

from __future__ import annotations

from typing import Optional

import typer

from cli.main import app, cli_errors, echo, emit_json, policy, state


@app.command("rules")
def rules_command(
    pack: Optional[str] = typer.Option(None, "--pack", help="Policy pack id (default: the active pack)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language of the rules: en or zh_CN (default: as the app)."),
    as_json: bool = typer.Option(False, "--json", help="Print the rules as JSON."),
) -> None:
    """Each rule of the pack: its article, what it says, its numbers and where
    casedesk applies it (the same source as docs/rules-<pack>.md)."""
    from core.i18n import normalise_lang
    from core.policy import PolicyError
    from core.rulebook import applied_groups, heading, rules

    words = normalise_lang(lang) if lang else state.lang
    with cli_errors():
        from core.config import load_config
        from core.policy import find_pack, load_pack

        policy_dir = load_config().policy_dir
        pol = load_pack(pack, policy_dir=policy_dir) if pack else policy()
        try:  # the rules file beside the pack's own file (an admin's pack in policy_dir too)
            pack_file = find_pack(pol.id, policy_dir)
        except PolicyError:  # a demo database's pack given as a file
            pack_file = None
        listing = rules(pol, words, pack_file=pack_file)
    if as_json:
        emit_json({"pack": pol.id, "name": pol.pack.name_zh if words == "zh_CN" else pol.pack.name_en,
                   "lang": words, "rules": [r.as_dict() for r in listing]})
        return
    name = pol.pack.name_zh if words == "zh_CN" else pol.pack.name_en
    echo(f"{name} ({pol.id})")
    echo(heading("rules", words, count=len(listing), pack=pol.id))
    for r in listing:
        echo("")
        echo(f"[{', '.join(r.articles)}] {r.title}")
        echo(f"  {r.text or heading('no_words', words)}")
        if r.same_as:
            echo(f"  ({heading('same_as', words, pack=r.same_as)})")
        if r.numbers:
            echo(f"  {heading('numbers', words)}:")
            for n in r.numbers:
                echo(f"    {n.path}: {n.shown()}")
        echo(f"  {heading('applied', words)}:" + ("" if r.applied else f" {heading('not_applied', words)}"))
        for module, names in applied_groups(r.applied):
            echo(f"    {module}: {', '.join(names)}")

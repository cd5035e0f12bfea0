"""Commands beyond the basics, one module per workflow; importing a module
registers its commands on :data:`cli.main.app`.

:func:`load` imports them. A shell command on the counter's path (``lookup``,
``check``, ``worklist``) loads only the module it needs: importing the
twenty others (and what they import) is most of the time such a process
takes beyond Python's and SQLAlchemy's own (python -m bench measures it).
Anything else — ``--help``, another command, a name not in :data:`HOT` —
loads them all; tests/test_cli_lazy.py checks :data:`HOT` against what the
modules register.
"""

import importlib
import pkgutil

#: a command on the counter's path -> the command modules it needs (the rest are not imported)
HOT: dict[str, tuple[str, ...]] = {"lookup": (), "check": ("eligibility",), "worklist": ("worklist",)}

#: the global options that take a value (cli.main.main_callback)
_VALUED = {"--db", "--lang", "--as", "--policy"}


def command_of(argv: list[str]) -> str | None:
    """The command ``argv`` names (its first word after the global options)."""
    it = iter(argv)
    for arg in it:
        if arg in _VALUED:
            next(it, None)
        elif not arg.startswith("-"):
            return arg
    return None


def load(argv: list[str] | None = None) -> None:
    """Register the commands ``argv`` needs (all when ``argv`` is None or names no hot command)."""
    wanted = HOT.get(command_of(argv) or "") if argv is not None else None
    names = wanted if wanted is not None else [m.name for m in pkgutil.iter_modules(__path__)]
    for name in names:
        importlib.import_module(f"{__name__}.{name}")

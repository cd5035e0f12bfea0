"""Commands beyond the basics, one module per workflow; importing this
package registers them on :data:`cli.main.app`."""

import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

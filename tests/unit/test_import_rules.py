"""Imports run one way. The portal (app/) never imports the sandbox, a development tool that is no part of a
deployment; the connectors never import the portal, so that they stay back-office integrations that know
nothing of the portal or its councils; a feature's own modules (the requests feature's app/tracking, the
report journeys' app/reports, and the others) never import the views, which are built on them; the address
modules (postcodes, address lookup, routing, the gazetteer import) import no feature, staff page or view.
Nothing outside app/views imports a view but the app factory, which registers them; no modules of the
portal import one another, directly or through others; and no two of its folders (app/waste and app/tracking,
say) import each other, a feature's own views module counted with the views.
Checked by reading every module's imports with ast, including a module named in a string
("app.address_lookup:build", importlib.import_module("sandbox.x")), which is an import too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

# The features' own modules, which their views are built on.
FEATURE_FOLDERS = (
    "app/auth",
    "app/bins",
    "app/dashboard",
    "app/insights",
    "app/migration",
    "app/reports",
    "app/tracking",
    "app/waste",
)
# Postcodes, addresses and routing, which every feature asks and which know none of them.
ADDRESS_MODULES = (
    "app/address_lookup.py",
    "app/address_problems.py",
    "app/council_services.py",
    "app/gazetteer_import.py",
    "app/postcodes.py",
    "app/routing.py",
)
# folder or module -> the modules (and everything under them) it must never import
FORBIDDEN = {
    "app": ("sandbox", "tests", "bench"),
    "connectors": ("app", "sandbox", "tests", "bench"),
    **{folder: ("app.views",) for folder in FEATURE_FOLDERS},
    **{
        module: ("app.views", "app.staff", *(folder.replace("/", ".") for folder in FEATURE_FOLDERS))
        for module in ADDRESS_MODULES
    },
}
# "module.path:attribute", how a registry names what it imports later.
IMPORT_STRING = re.compile(r"^(?P<module>[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*):[A-Za-z_][A-Za-z0-9_]*$")
IMPORTING_FUNCTIONS = {"import_module", "__import__"}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for each module the source imports, names as "module:attribute" or passes to
    importlib.import_module or __import__."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # "from app import views" imports app.views
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = IMPORT_STRING.match(node.value)
            if match:
                found.append((node.lineno, match["module"]))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = (
                node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            )
            if function in IMPORTING_FUNCTIONS and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return sorted(found)


def breaches(root: Path, folder: str) -> list[str]:
    forbidden = FORBIDDEN[folder]
    paths = [root / folder] if folder.endswith(".py") else sorted((root / folder).rglob("*.py"))
    return [
        f"{path.relative_to(root)}:{line} imports {module}"
        for path in paths
        for line, module in imported_modules(path.read_text(encoding="utf-8"))
        if any(module == banned or module.startswith(f"{banned}.") for banned in forbidden)
    ]


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_run_one_way(folder):
    assert breaches(PROJECT_ROOT, folder) == []


def test_the_check_sees_every_kind_of_import(tmp_path):
    (tmp_path / "connectors").mkdir()
    (tmp_path / "connectors" / "registry.py").write_text(
        "import app.models\n"
        "from app import themes\n"
        "from .models import Result\n"  # its own package: allowed
        'ADAPTERS = {"gazetteer": "app.address_lookup:build", "open311": "connectors.open311:build"}\n'
        'importlib.import_module("sandbox.places")\n'
        'DEFAULT_FILE = "sandbox.toml"\n'  # a file's name, not a module
    )
    assert breaches(tmp_path, "connectors") == [
        "connectors/registry.py:1 imports app.models",
        "connectors/registry.py:2 imports app.themes",
        "connectors/registry.py:4 imports app.address_lookup",
        "connectors/registry.py:5 imports sandbox.places",
    ]
    (tmp_path / "app" / "tracking").mkdir(parents=True)
    (tmp_path / "app" / "tracking" / "sync.py").write_text(
        "from app import views\nfrom app.views.reports import tracking_url\nfrom app.reports import links\n"
    )
    assert breaches(tmp_path, "app/tracking") == [
        "app/tracking/sync.py:1 imports app.views",
        "app/tracking/sync.py:2 imports app.views.reports.tracking_url",
    ]
    (tmp_path / "app" / "routing.py").write_text(
        "from app import boundaries\nfrom app.reports.types import Routing\n"
    )
    assert breaches(tmp_path, "app/routing.py") == ["app/routing.py:2 imports app.reports.types.Routing"]


# Only the views import the views, and the app factory, which registers their blueprints.
MAY_IMPORT_THE_VIEWS = ("app/__init__.py", "app/views/")


def view_imports(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line} imports {module}"
        for path in sorted((root / "app").rglob("*.py"))
        if not str(path.relative_to(root)).startswith(MAY_IMPORT_THE_VIEWS)
        for line, module in imported_modules(path.read_text(encoding="utf-8"))
        if module == "app.views" or module.startswith("app.views.")
    ]


def test_only_the_views_and_the_app_factory_import_the_views():
    assert view_imports(PROJECT_ROOT) == []


def module_imports(root: Path) -> dict[str, set[str]]:
    """Each module of app/ -> the modules of app/ it imports, anywhere in it (a function's import too: it is
    run with the module's other code). "from app.x import y" imports app.x.y where that is a module, else
    app.x. A module's import of its own package is left out: a package that imports its modules to have them
    add to what it defines (a blueprint's view modules) is how a package is put together, not a cycle."""
    paths = {
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): path
        for path in (root / "app").rglob("*.py")
    }
    imports = {}
    for name, path in paths.items():
        found = set()
        for _, module in imported_modules(path.read_text(encoding="utf-8")):
            while module and module not in paths:
                module = module.rpartition(".")[0]
            if module and module != name and not name.startswith(f"{module}."):
                found.add(module)
        imports[name] = found
    return imports


def cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The modules that import one another, directly or through others: each strongly connected set of
    more than one module (Tarjan's algorithm), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(imports.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            members = []
            while not members or members[-1] != module:
                members.append(stack.pop())
            if len(members) > 1:
                found.append(sorted(members))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return sorted(found)


def test_no_modules_of_the_portal_import_one_another():
    assert cycles(module_imports(PROJECT_ROOT)) == []


def folder_imports(imports: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same imports between the folders of app/ (a module at the top of app/ stands for itself): app.x.y
    counts as app.x, and a feature folder's views module (app/auth/views.py) as app.views, the pages, which
    are built on every feature. A package's import of its own modules is left out: a feature's __init__.py
    that registers its pages (app/auth/__init__.py) does what the app factory does for app/views."""

    def folder(module: str) -> str:
        parts = module.split(".")
        return "app.views" if parts[-1] == "views" else ".".join(parts[:2])

    folders: dict[str, set[str]] = {}
    for module, imported in imports.items():
        found = folders.setdefault(folder(module), set())
        found.update(
            folder(other)
            for other in imported
            if folder(other) != folder(module) and not other.startswith(f"{module}.")
        )
    return folders


def mutual_imports(imports: dict[str, set[str]]) -> list[list[str]]:
    """Each pair that imports the other straight, sorted."""
    return sorted(
        [first, second]
        for first in imports
        for second in imports[first]
        if first < second and first in imports.get(second, ())
    )


def test_no_two_folders_of_the_portal_import_each_other():
    assert mutual_imports(folder_imports(module_imports(PROJECT_ROOT))) == []


def test_the_checks_see_a_view_import_and_a_cycle(tmp_path):
    (tmp_path / "app" / "views" / "staff").mkdir(parents=True)
    (tmp_path / "app" / "staff").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("from app.views import reports\n")
    (tmp_path / "app" / "views" / "reports.py").write_text("from app.staff import assisted\n")
    (tmp_path / "app" / "views" / "staff" / "__init__.py").write_text("from app.views.staff import sign_in\n")
    (tmp_path / "app" / "views" / "staff" / "sign_in.py").write_text("from app.views.staff import bp\n")
    (tmp_path / "app" / "staff" / "assisted.py").write_text(
        "def start():\n    from app.staff.identity import current_staff\n"
    )
    (tmp_path / "app" / "staff" / "identity.py").write_text(
        "from app.staff import audit\nfrom app.views.dashboard import household_for\n"
    )
    (tmp_path / "app" / "staff" / "audit.py").write_text(
        "def record():\n    from app.staff.identity import current_staff\n"
    )
    assert view_imports(tmp_path) == ["app/staff/identity.py:2 imports app.views.dashboard.household_for"]
    assert cycles(module_imports(tmp_path)) == [["app.staff.audit", "app.staff.identity"]]


def test_the_check_sees_two_folders_that_import_each_other(tmp_path):
    (tmp_path / "app" / "waste").mkdir(parents=True)
    (tmp_path / "app" / "tracking").mkdir()
    (tmp_path / "app" / "auth").mkdir()
    (tmp_path / "app" / "waste" / "orders.py").write_text("from app.tracking.followers import links_for\n")
    (tmp_path / "app" / "tracking" / "followers.py").write_text("from app.auth import assurance\n")
    (tmp_path / "app" / "tracking" / "forms.py").write_text("from app.waste.forms import PHONE_DIGITS\n")
    (tmp_path / "app" / "waste" / "forms.py").write_text("")
    (tmp_path / "app" / "auth" / "assurance.py").write_text("")
    (tmp_path / "app" / "auth" / "views.py").write_text("from app.tracking import followers\n")
    imports = module_imports(tmp_path)
    assert cycles(imports) == [], "no module imports itself again"
    assert mutual_imports(folder_imports(imports)) == [["app.tracking", "app.waste"]]

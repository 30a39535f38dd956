"""How app/ is built, read from its source: one writer of an order's status, imports one way."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from app.orders.lifecycle import state_machine
from app.orders.tables import Fulfilment, OrderStatus
from tests.support.http import ROOT

APP = ROOT / "app"
DOMAIN = (
    "app.catalog",
    "app.orders",
    "app.owner",
    "app.audit",
    "app.payments",
    "app.mail",
    "app.live",
)
# The ground floor: what every room stands on. It knows no room, but Stripe's vocabulary.
GROUND = (
    "app.db", "app.settings", "app.setting_values", "app.money", "app.web", "app.security",
    "app.text",
)  # fmt: skip
# What settings read of the rooms: the countries Stripe ships to, and the mail server's terms.
VOCABULARY = ("app.payments.countries", "app.mail.config")
# Where Litestar may be imported: handlers, guards, wiring and the ground floor's web helpers.
WEB = ("routes", "access", "devices", "sse", "wiring", "cli")  # devices: the owner's cookies


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(APP.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        yield name, ast.parse(path.read_text(), str(path))


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _is_status_column(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Order"
        and node.attr in {"status", "fulfilment"}
    )


def _order_status_writes(tree: ast.Module) -> list[int]:
    """Lines that write Order.status or Order.fulfilment: as a key of the values an update
    sets (a dict's key, or `values[Order.status] = …`), as a keyword of a new Order(...), or
    in a hand-written UPDATE of shop_order."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            lines += [key.lineno for key in node.keys if key and _is_status_column(key)]
        elif isinstance(node, ast.Subscript) and _is_status_column(node.slice):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Order":
            lines += [k.value.lineno for k in node.keywords if k.arg in {"status", "fulfilment"}]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "update shop_order" in " ".join(node.value.lower().split())
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_lifecycle_writes_an_orders_status_or_fulfilment() -> None:
    writers = {name: lines for name, tree in _modules() if (lines := _order_status_writes(tree))}
    assert list(writers) == ["app.orders.lifecycle"], writers


def test_there_is_no_import_cycle_among_the_modules_of_app() -> None:
    graph = {name: {m for m in _imports(tree) if m.startswith("app.")} for name, tree in _modules()}
    cycles = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                cycles.append([*path[path.index(imported) :], imported])
            elif imported in graph and imported not in state:
                visit(imported, [*path, imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_ground_floor_and_live_transport_know_no_domain() -> None:
    wrong = {
        name: sorted(m for m in _imports(tree) if _within(m, DOMAIN) and m not in VOCABULARY)
        for name, tree in _modules()
        if _within(name, GROUND) or _within(name, ("app.live",))
    }
    # The live transport imports itself; nothing else of a room.
    wrong = {
        name: [m for m in found if not _within(m, ("app.live",))] for name, found in wrong.items()
    }
    assert {name: found for name, found in wrong.items() if found} == {}


def test_services_never_import_litestar_and_only_the_gateway_imports_stripe() -> None:
    litestar, stripe = [], []
    for name, tree in _modules():
        imported = _imports(tree)
        room_module = _within(name, DOMAIN) and name.rsplit(".", 1)[-1] not in WEB
        if room_module and any(_within(m, ("litestar",)) for m in imported):
            litestar.append(name)
        if any(_within(m, ("stripe",)) for m in imported):
            stripe.append(name)
    assert litestar == []
    assert stripe == ["app.payments.gateway"]


def test_no_module_of_app_is_over_250_lines() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in APP.rglob("*.py")
    }
    assert {name: size for name, size in sizes.items() if size > 250} == {}


def test_the_readmes_state_machine_is_the_lifecycle_table() -> None:
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- lifecycle table: start -->", "<!-- lifecycle table: end -->"
    assert start in readme and end in readme
    shown = readme.split(start, 1)[1].split(end, 1)[0].strip()
    assert shown == state_machine().strip()


def test_no_template_decides_by_a_status_literal() -> None:
    quoted = re.compile(
        "[\"'](?:{})[\"']".format("|".join(s.value for s in (*OrderStatus, *Fulfilment)))
    )
    code = re.compile(r"\{[%{].*?[%}]\}", re.S)  # Jinja's own: what decides, not markup
    found = {
        str(path.relative_to(ROOT)): quoted.findall(" ".join(code.findall(path.read_text())))
        for path in (ROOT / "templates").rglob("*.html")
    }
    assert {name: literals for name, literals in found.items() if literals} == {}

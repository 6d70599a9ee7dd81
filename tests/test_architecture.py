"""The import rules that keep domains apart, read from the source (an AST walk of src/).

- endpoints never import a repository;
- no domain imports another domain's repository (it asks that domain's service);
- `kit/` imports no domain;
- the facades (`compat/`) are imported by nothing but `app.py`: the native core knows none.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent / "src"
PACKAGE = ROOT / "tillroll"
SHARED = {"kit", "compat", "client", "migrations"}  # packages that are not domains
DOMAINS = sorted(
    p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists() and p.name not in SHARED
)


def imports(source: str, module: str) -> set[str]:
    """The `tillroll` modules `source` (the module named `module`) imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parent = module.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "tillroll"}


def _modules() -> dict[str, set[str]]:
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = imports(path.read_text(), name)
    return modules


MODULES = _modules()


def _package(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def _is_repository(module: str) -> bool:
    return module.endswith(".repository") and _package(module) in DOMAINS


def _endpoint_imports_repository(module: str, target: str) -> bool:
    return module.endswith(".endpoints") and _is_repository(target)


def _imports_foreign_repository(module: str, target: str) -> bool:
    return _is_repository(target) and _package(target) != _package(module)


def _kit_imports_domain(module: str, target: str) -> bool:
    return _package(module) == "kit" and _package(target) in {*DOMAINS, "compat"}


def _core_imports_facade(module: str, target: str) -> bool:
    """The native core (all but compat/ and app.py) knows no facade."""
    return (
        _package(target) == "compat" and _package(module) != "compat" and module != "tillroll.app"
    )


RULES = {
    "endpoints never import a repository": _endpoint_imports_repository,
    "no domain imports another domain's repository": _imports_foreign_repository,
    "kit imports no domain": _kit_imports_domain,
    "compat is imported by app.py only": _core_imports_facade,
}


def _broken(rule: Callable[[str, str], bool]) -> list[str]:
    return [
        f"{module} imports {target}"
        for module, targets in MODULES.items()
        for target in sorted(targets)
        if rule(module, target)
    ]


def test_the_walk_sees_the_tree() -> None:
    assert {"branches", "customers", "products", "receipts", "auth", "merchants"} <= set(DOMAINS)
    assert "tillroll.receipts.repository" in MODULES["tillroll.receipts.service"]
    assert "tillroll.compat.spaaza" in MODULES["tillroll.app"]


def test_the_walk_resolves_each_form_of_import() -> None:
    source = (
        "import tillroll.branches.repository\n"
        "from tillroll.customers import repository\n"
        "from ..products.repository import ProductRepository\n"
        "from . import schemas\n"
        "import json\n"
    )
    assert imports(source, "tillroll.receipts.service") == {
        "tillroll.branches.repository",
        "tillroll.customers",
        "tillroll.customers.repository",
        "tillroll.products.repository",
        "tillroll.products.repository.ProductRepository",
        "tillroll.receipts",
        "tillroll.receipts.schemas",
    }


@pytest.mark.parametrize("rule", RULES)
def test_rule_holds(rule: str) -> None:
    assert _broken(RULES[rule]) == []


@pytest.mark.parametrize(
    ("rule", "module", "target"),
    [
        ("endpoints never import a repository", "tillroll.branches.endpoints",
         "tillroll.branches.repository"),
        ("no domain imports another domain's repository", "tillroll.receipts.service",
         "tillroll.branches.repository"),
        ("kit imports no domain", "tillroll.kit.http", "tillroll.auth.principals"),
        ("compat is imported by app.py only", "tillroll.receipts.export",
         "tillroll.compat.spaaza.translate"),
    ],
)  # fmt: skip
def test_each_rule_can_fail(rule: str, module: str, target: str) -> None:
    """A violation planted in the walk's result is reported by its rule."""
    MODULES[module].add(target)
    try:
        assert _broken(RULES[rule]) == [f"{module} imports {target}"]
    finally:
        MODULES[module].discard(target)


def test_the_app_may_import_compat() -> None:
    assert not _core_imports_facade("tillroll.app", "tillroll.compat.spaaza")


# --- tables -------------------------------------------------------------------------------

MIGRATIONS = PACKAGE / "migrations" / "sqlite"
OWNED = {
    "merchants": {"merchants"},
    "auth": {"api_keys", "auth_failures"},
    "branches": {"branches"},
    "customers": {"customers"},
    "products": {"products"},
    "receipts": {"receipts", "receipt_lines"},
    "b2b": {"invoices", "payments", "payment_receipts", "payment_receipt_lines", "payment_audit"},
    "wallets": {
        "wallets",
        "wallet_entries",
        "wallet_lots",
        "wallet_draws",
        "wallet_redemptions",
        "loyalty_programmes",
        "loyalty_members",
        "campaigns",
        "wallet_earnings",
        "wallet_voucher_restores",
    },
    "values": {
        "value_metrics",
        "value_signals",
        "value_signal_values",
        "value_receipts",
        "value_receipt_lines",
        "value_embed_settings",
    },
    "events": {"events"},
    "jobs": {"jobs"},
    "webhooks": {"webhook_endpoints", "webhook_messages", "webhook_attempts"},
    "orders": {
        "orders",
        "order_items",
        "order_revisions",
        "shipments",
        "shipment_events",
        "stock_subscriptions",
        "stock_settings",
    },
    "kit": {"idempotency_keys", "schema_migrations"},
    "documents": {"document_branding", "receipt_renders", "receipt_emails", "receipt_links"},
}
# a facade's own tables: pre-rendered cells, the chain's receipt webhook
FACADE_TABLES = {
    "compat/spaaza": {"spaaza_receipt_cells", "spaaza_webhook_config"},
    "compat/paid": {"paid_orders"},
}
SEQUENCES = {"counters"}  # per-merchant number counters: infrastructure every table may use
_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)")


def _tables_read(package: str) -> set[str]:
    """The known tables named in the SQL of `package`'s modules."""
    known = set().union(*OWNED.values())
    found: set[str] = set()
    for path in (PACKAGE / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found |= set(_TABLE.findall(node.value)) & known
    return found


def test_every_table_has_an_owner() -> None:
    created = set()
    for path in MIGRATIONS.glob("*.sql"):
        created |= set(re.findall(r"CREATE TABLE ([a-z_]+)", path.read_text()))
    assert created - SEQUENCES <= set().union(*OWNED.values(), *FACADE_TABLES.values())


@pytest.mark.parametrize("package", list(OWNED))
def test_a_domains_sql_names_only_its_own_tables(package: str) -> None:
    assert _tables_read(package) - OWNED[package] == set()


def test_the_table_scan_sees_sql() -> None:
    assert _tables_read("auth") == {"api_keys", "auth_failures"}
    assert {"receipts", "receipt_lines"} <= _tables_read("receipts")


def test_foreign_keys_refuse_deletes() -> None:
    """Deletion guards are the foreign keys: none cascades or clears (NO ACTION / RESTRICT)."""
    sql = " ".join(p.read_text() for p in (PACKAGE / "migrations").rglob("*.sql"))
    assert "REFERENCES" in sql
    actions = re.findall(r"ON\s+(?:DELETE|UPDATE)\s+(\w+(?:\s+(?:NULL|DEFAULT|ACTION))?)", sql)
    assert set(actions) <= {"RESTRICT", "NO ACTION"}

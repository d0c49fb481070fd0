"""The docs site (docs/, mkdocs.yml) and the README's front page stay true to the code they describe.

``make docs`` (mkdocs build --strict, in CI) checks the links between the pages; these tests check
what mkdocs cannot: the patch table against the registry, the module map against the files, the
README's links, and that every test the Lifecycle page cites exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from orderflow.runtime.moto import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "src" / "orderflow"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_the_patch_table_is_the_registry_in_its_declared_order() -> None:
    rows = re.findall(r"^\| `(\w+)` \| ([\w-]+) \|", page("moto-patches.md"), re.M)
    assert rows == [(name, REGISTRY[name].kind) for name in REGISTRY.names]


def test_the_module_map_lists_every_module_once() -> None:
    listed = re.findall(r"^\| `([\w/]+\.py)` \|", page("architecture.md"), re.M)
    modules = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py"))
    assert len(listed) == len(set(listed)), "a module is listed twice"
    missing = sorted(set(modules) - set(listed))
    gone = sorted(set(listed) - set(modules))
    assert (missing, gone) == ([], []), f"docs/architecture.md: not listed {missing}, listed but gone {gone}"


def test_the_readme_is_a_front_page_whose_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    quick_start = readme[readme.index("## Quick start") : readme.index("<!-- QUICKSTART-END -->")]
    assert "make demo " in quick_start and "make test " in quick_start
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not t.startswith(("http://", "https://"))]
    assert local, "the README links to the docs"
    assert [t for t in local if not (ROOT / t).is_file()] == []
    linked_pages = {Path(t).name for t in local if t.startswith("docs/")}
    site_pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert site_pages <= linked_pages, f"pages the README does not link: {sorted(site_pages - linked_pages)}"


def test_every_test_the_lifecycle_page_cites_exists() -> None:
    cited = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", page("lifecycle.md"))
    assert cited, "the lifecycle page backs its statements with tests"
    for path, name in cited:
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        names = {
            node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert name in names, f"docs/lifecycle.md cites {path}::{name}, which does not exist"

"""The request category tree (诉求分类): hierarchical codes shipped as reference data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CATEGORIES_FILE = Path(__file__).parent.parent / "reference" / "categories.json"


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    parent_code: str | None
    level: int

    @property
    def path_codes(self) -> list[str]:
        return [self.code[: i * 2] for i in range(1, self.level + 1)]


@cache
def catalogue() -> dict[str, Category]:
    """Every category by code; validated on load (unique codes, children prefixed by parents)."""
    nodes: dict[str, Category] = {}

    def walk(items: list[dict[str, Any]], parent: Category | None) -> None:
        for item in items:
            code = str(item["code"])
            if code in nodes:
                raise ValueError(f"duplicate category code {code}")
            if parent and not code.startswith(parent.code):
                raise ValueError(f"category {code} does not start with its parent's code {parent.code}")
            node = Category(code, item["name"], parent.code if parent else None, len(code) // 2)
            nodes[code] = node
            walk(item.get("children", []), node)

    walk(json.loads(CATEGORIES_FILE.read_text(encoding="utf-8")), None)
    return nodes


def full_name(code: str | None) -> str:
    """'城乡建设 / 市政设施 / 路灯' for display."""
    if not code:
        return "未分类"
    nodes = catalogue()
    if code not in nodes:
        return code
    return " / ".join(nodes[c].name for c in nodes[code].path_codes if c in nodes)

"""The data contract, loaded from ``contract.yml`` (or ``$KAOHE_CONTRACT``).

One place answers "which kinds exist, which columns do they have, what do the
headers look like in Chinese, which values are allowed" for the loader, the
validation suites and the sample generator alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from kaohe.settings import settings

DEFAULT_CONTRACT = Path(__file__).with_name("contract.yml")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    zh: str | None = None
    optional: bool = False

    @property
    def base_type(self) -> str:
        return self.type.split(":", 1)[0]

    @property
    def type_arg(self) -> str:
        """The type's argument (``code:dept`` -> ``dept``), "" for a type without one."""
        return self.type.partition(":")[2]


@dataclass(frozen=True)
class Reference:
    """The master data a code names: the value must be in ``kind.column`` of the snapshot in force."""

    kind: str
    column: str
    rule: str  # the rule code of a value that is not there (unknown_dept, ...)
    noun: str  # what the message calls it ("department")


@dataclass(frozen=True)
class Code:
    name: str
    pattern: str
    help: str  # what a clerk reads when a value does not match ("a department code (D + 2–4 digits, e.g. D07)")
    references: Reference | None = None


@dataclass(frozen=True)
class Kind:
    name: str
    zh: str
    reference: bool
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    sender_column: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if not c.optional]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Contract:
    code_types: dict[str, Code]
    formats: dict[str, str]
    enums: dict[str, dict[str, str]]
    kinds: dict[str, Kind] = field(default_factory=dict)  # in validation order: master data first

    @property
    def codes(self) -> dict[str, str]:
        """Code name -> its pattern."""
        return {name: code.pattern for name, code in self.code_types.items()}

    def header_map(self, kind: str) -> dict[str, str]:
        """Normalised header text -> column name (English and Chinese)."""
        mapping: dict[str, str] = {}
        for col in self.kinds[kind].columns:
            mapping[normalise_header(col.name)] = col.name
            if col.zh:
                mapping[normalise_header(col.zh)] = col.name
        return mapping

    def enum_values(self, enum: str) -> dict[str, str]:
        """Every accepted spelling (lower-cased English value, Chinese label) -> value."""
        values = {}
        for value, label in self.enums[enum].items():
            values[value.lower()] = value
            values[label] = value
        return values

    @property
    def reference_kinds(self) -> list[str]:
        return [k for k, v in self.kinds.items() if v.reference]

    @property
    def daily_kinds(self) -> list[str]:
        return [k for k, v in self.kinds.items() if not v.reference]


_SPACES = re.compile(r"^[\s\u3000\ufeff]+|[\s\u3000\ufeff]+$")


def normalise_header(text: str) -> str:
    return _SPACES.sub("", text).lower()


def trim(value: str) -> str:
    """Trim surrounding spaces, full-width spaces (U+3000) and a stray BOM."""
    return _SPACES.sub("", value)


@cache
def load_contract(path: str | None = None) -> Contract:
    source = Path(path or settings().contract or DEFAULT_CONTRACT)  # read once per process, like the contract
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    aliases = doc.get("aliases", {})
    kinds = {}
    for name, spec in doc["kinds"].items():
        columns = []
        for entry in spec["columns"]:
            col_name, col_type, *rest = entry
            opts = rest[0] if rest else {}
            columns.append(
                Column(
                    name=col_name,
                    type=col_type,
                    zh=opts.get("zh", aliases.get(col_name)),
                    optional=bool(opts.get("optional", False)),
                )
            )
        kinds[name] = Kind(
            name=name,
            zh=spec["zh"],
            reference=bool(spec["reference"]),
            key=tuple(spec["key"]),
            columns=tuple(columns),
            sender_column=spec.get("sender_column"),
        )
    codes = {name: _code(name, spec) for name, spec in doc["codes"].items()}
    return Contract(code_types=codes, formats=doc["formats"], enums=doc["enums"], kinds=kinds)


def _code(name: str, spec: dict) -> Code:
    if not isinstance(spec, dict):
        raise ValueError(
            f"contract: code {name} must be a mapping with pattern, help and (optional) references"
            f" — see plugins/kaohe/contract.yml"
        )
    ref = spec.get("references")
    return Code(
        name=name,
        pattern=spec["pattern"],
        help=spec["help"],
        references=Reference(ref["kind"], ref["column"], ref["rule"], ref["noun"]) if ref else None,
    )

"""``orderflow load``: bulk-load a JSON or CSV file into one of the stack's tables.

The whole file is validated before anything is written: a bad row is reported (one line naming
the row) and nothing reaches the table. Writes go through ``Table.batch_writer()``.

- JSON: a list of objects; numbers are parsed as ``Decimal`` (integers stay ``int``).
- CSV: a header row. Types are best declared in it, DynamoDB's way: ``productId,name:S,price:N,
  stock:N,active:BOOL``. Then every column is what it says (a column without a type is a string),
  and a cell that is not of its column's type (``12,50`` or ``many`` under ``:N``, ``yes`` under
  ``:BOOL``) is refused with its line number. Without any typed column (older files), key
  attributes are typed by the table's key schema and other cells that are plain decimal numbers
  become numbers (``12`` -> 12, ``9.99`` -> Decimal("9.99")), so a name such as ``1984`` becomes a
  number: declare ``name:S``. Empty cells are left out of the item.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from orderflow.awsclients import stack_resources
from orderflow.errors import OrderflowError

TABLE_TYPE = "AWS::DynamoDB::Table"
MAX_ITEM_BYTES = 400 * 1024
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")


def resolve_table(name: str, endpoint: str, stack_name: str, region: str | None = None) -> tuple[str, str]:
    """(logical id, physical name) of the stack's table matching ``name``.

    ``products`` matches ``ProductsTable`` (case-insensitive; with or without the ``Table`` suffix);
    a physical table name matches itself.
    """
    tables = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in stack_resources(endpoint, stack_name, region)
        if r["ResourceType"] == TABLE_TYPE
    }
    wanted = name.lower()
    matches = [
        (logical, physical)
        for logical, physical in tables.items()
        if wanted in (logical.lower(), logical.lower().removesuffix("table")) or name == physical
    ]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(sorted(tables)) or "none"
    if not matches:
        raise OrderflowError(f"no table {name!r} in stack {stack_name!r} (tables: {known})")
    raise OrderflowError(f"{name!r} matches several tables: {', '.join(m[0] for m in matches)}")


def key_schema(ddb: Any, table_name: str) -> dict[str, str]:
    """Key attribute name -> its type (S, N or B), hash key first (``ddb``: a DynamoDB client)."""
    try:
        table = ddb.describe_table(TableName=table_name)["Table"]
    except ClientError as exc:
        raise OrderflowError(f"cannot describe table {table_name}: {exc}") from None
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    ordered = sorted(table["KeySchema"], key=lambda k: k["KeyType"] != "HASH")
    return {k["AttributeName"]: types[k["AttributeName"]] for k in ordered}


def _bad_number(text: str) -> None:
    raise ValueError(f"non-finite number {text}")


def read_items(path: Path, keys: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of the file, validated; ValueError naming the first bad row."""
    if not path.is_file():
        raise OrderflowError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".json":
        items = _read_json(path)
    elif suffix == ".csv":
        items = _read_csv(path, keys)
    else:
        raise OrderflowError(f"{path}: expected a .json or .csv file")
    seen: dict[tuple[Any, ...], str] = {}
    for label, item in items:
        _check_item(path, label, item, keys)
        key = tuple(item[k] for k in keys)
        if key in seen:
            raise OrderflowError(f"{path}: {label}: duplicate key {_key_text(keys, key)} (also {seen[key]})")
        seen[key] = label
    if not items:
        raise OrderflowError(f"{path}: no items")
    return [item for _, item in items]


def _key_text(keys: dict[str, str], key: tuple[Any, ...]) -> str:
    return ", ".join(f"{name}={value}" for name, value in zip(keys, key, strict=True))


def _read_json(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal, parse_constant=_bad_number)
    except UnicodeDecodeError:
        raise OrderflowError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise OrderflowError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise OrderflowError(f"{path}: {exc}") from None
    if not isinstance(data, list):
        raise OrderflowError(f"{path}: expected a JSON list of objects, got a {type(data).__name__}")
    items = []
    for index, item in enumerate(data, start=1):
        label = f"item {index}"
        if not isinstance(item, dict):
            raise OrderflowError(f"{path}: {label}: expected an object, got a {type(item).__name__}")
        items.append((label, item))
    return items


def _csv_number(text: str) -> int | Decimal:
    value = Decimal(text)
    return int(value) if "." not in text else value


def _read_csv(path: Path, keys: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            rows = list(reader)
    except UnicodeDecodeError:
        raise OrderflowError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise OrderflowError(f"{path}: invalid CSV: {exc}") from None
    if not rows:
        raise OrderflowError(f"{path}: empty file (a header row is needed)")
    header, types = _typed_header(path, [h.strip() for h in rows[0]])
    if any(not h for h in header) or len(set(header)) != len(header):
        raise OrderflowError(f"{path}: line 1: header has empty or repeated column names")
    missing = [k for k in keys if k not in header]
    if missing:
        raise OrderflowError(f"{path}: line 1: header lacks the key column(s) {', '.join(missing)}")
    items = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        label = f"line {line_no}"
        if len(row) != len(header):
            raise OrderflowError(f"{path}: {label}: {len(row)} cells, the header has {len(header)}")
        item: dict[str, Any] = {}
        for name, cell in zip(header, row, strict=True):
            if types:
                if cell != "":
                    item[name] = _typed_cell(path, label, name, types.get(name, keys.get(name, "S")), cell)
                continue
            if name in keys:
                if keys[name] == "N":
                    if not _NUMBER.match(cell.strip()):
                        raise OrderflowError(f"{path}: {label}: key {name} must be a number, got {cell!r}")
                    item[name] = _csv_number(cell.strip())
                else:
                    item[name] = cell
            elif cell == "":
                continue
            elif _NUMBER.match(cell):
                item[name] = _csv_number(cell)
            else:
                item[name] = cell
        items.append((label, item))
    return items


_CSV_TYPES = ("S", "N", "BOOL")


def _typed_header(path: Path, header: list[str]) -> tuple[list[str], dict[str, str]]:
    """Column names and, when any column declares one (``price:N``), every declared type."""
    names, types = [], {}
    for column in header:
        name, sep, kind = column.rpartition(":")
        if sep and name and kind.upper() in _CSV_TYPES:
            names.append(name.strip())
            types[name.strip()] = kind.upper()
        elif sep and name and kind.isalpha() and kind.isupper():
            raise OrderflowError(
                f"{path}: line 1: column {column!r}: type {kind} is not one of {', '.join(_CSV_TYPES)}"
            )
        else:
            names.append(column)
    return names, types


def _typed_cell(path: Path, label: str, name: str, kind: str, cell: str) -> Any:
    if kind == "N":
        try:
            value = Decimal(cell.strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            raise OrderflowError(f"{path}: {label}: column {name} is a number (N), got {cell!r}")
        return int(value) if value == value.to_integral_value() and "." not in cell else value
    if kind == "BOOL":
        if cell.strip().lower() not in ("true", "false"):
            raise OrderflowError(f"{path}: {label}: column {name} is true or false (BOOL), got {cell!r}")
        return cell.strip().lower() == "true"
    return cell


def _check_item(path: Path, label: str, item: dict[str, Any], keys: dict[str, str]) -> None:
    for name, kind in keys.items():
        value = item.get(name)
        if value is None:
            raise OrderflowError(f"{path}: {label}: missing key attribute {name!r}")
        if kind == "S" and (not isinstance(value, str) or value == ""):
            raise OrderflowError(f"{path}: {label}: key {name!r} must be a non-empty string, got {value!r}")
        if kind == "N" and (isinstance(value, bool) or not isinstance(value, int | Decimal)):
            raise OrderflowError(f"{path}: {label}: key {name!r} must be a number, got {value!r}")
        if kind == "B" and not isinstance(value, str | bytes):
            raise OrderflowError(f"{path}: {label}: key {name!r} must be binary, got {value!r}")
    try:
        size = len(json.dumps(item, default=str).encode())
    except (TypeError, ValueError) as exc:
        raise OrderflowError(f"{path}: {label}: cannot be stored: {exc}") from None
    if size > MAX_ITEM_BYTES:
        raise OrderflowError(f"{path}: {label}: item is {size} bytes, DynamoDB's limit is 400 KB")


def write_items(
    ddb: Any,
    table_name: str,
    items: Iterable[dict[str, Any]],
    total: int | None = None,
    progress: bool = True,
    on_item: Callable[[], None] | None = None,
) -> int:
    """Put every item through boto3's ``BatchWriter`` (what ``Table.batch_writer()`` returns: 25 per
    BatchWriteItem, unprocessed items sent again) on the DynamoDB client ``ddb``, each item
    serialized with ``TypeSerializer``; a tqdm progress bar when ``progress``. The count written.

    A client, not the resource's ``Table``: the resource loads a second model and makes a second
    client, a tenth of ``orderflow load``'s time (issue 21's 0.5 s for client commands)."""
    from boto3.dynamodb.table import BatchWriter
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    count = 0
    bar = _progress_bar(total, f"loading {table_name}") if progress else None
    try:
        with BatchWriter(table_name, ddb) as batch:
            for item in items:
                batch.put_item(Item={name: serialize(value) for name, value in item.items()})
                count += 1
                if bar is not None:
                    bar.update(1)
                if on_item is not None:
                    on_item()
    finally:
        if bar is not None:
            bar.close()
    return count


def _progress_bar(total: int | None, desc: str) -> Any:
    from tqdm import tqdm  # only when a bar is shown: redirected output never imports it

    return tqdm(total=total, unit="item", desc=desc, leave=True)

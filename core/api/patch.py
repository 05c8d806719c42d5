"""JSON Patch (RFC 6902, the ``add``, ``replace`` and ``remove`` operations) between two documents.

The live stream sends what changed since its previous message, not the whole view: a metric whose
value moved is one ``replace`` of one number. Two objects with the same keys in the same order are
compared member by member, down to the values; an object whose keys changed (an account appeared) is
replaced whole, so the view keeps the engine's order of accounts, metrics and queues, which the
panels follow. A list (a metric's history, a queue's first items) that changed is replaced whole too,
which keeps the patch simple to apply and is still small (a list is at most a few dozen entries).
:func:`apply` also takes ``add`` and ``remove``, for patches written by others.
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    """A patch that does not apply to the document; the message names the operation and the path."""


def pointer(parts: list[str]) -> str:
    """The JSON pointer (RFC 6901) of a path: ``~`` and ``/`` inside a key are escaped."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def unpointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"{path!r}: a JSON pointer starts with /")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def diff(old: Any, new: Any) -> list[dict[str, Any]]:
    """The operations that turn ``old`` into ``new`` (empty when they are equal)."""
    ops: list[dict[str, Any]] = []
    _diff(old, new, [], ops)
    return ops


def _diff(old: Any, new: Any, path: list[str], ops: list[dict[str, Any]]) -> None:
    if isinstance(old, dict) and isinstance(new, dict) and list(old) == list(new):
        for key, value in new.items():
            _diff(old[key], value, [*path, key], ops)
    elif old != new or type(old) is not type(new):  # 1 == 1.0 == True, but they do not look alike
        ops.append({"op": "replace", "path": pointer(path), "value": new})


def apply(doc: Any, ops: list[dict[str, Any]]) -> Any:
    """``doc`` with ``ops`` applied; ``doc`` itself is left as it was."""
    result = copy.deepcopy(doc)
    for index, op in enumerate(ops):
        result = _apply_one(result, op, index)
    return result


def _apply_one(doc: Any, op: Any, index: int) -> Any:
    where = f"operation {index}"
    if not isinstance(op, dict) or "op" not in op or "path" not in op:
        raise PatchError(f"{where}: needs 'op' and 'path'")
    kind, parts = op["op"], unpointer(op["path"])
    if kind not in ("add", "replace", "remove"):
        raise PatchError(f"{where}: unsupported op {kind!r}")
    if kind != "remove" and "value" not in op:
        raise PatchError(f"{where}: {kind} needs a 'value'")
    if not parts:
        if kind == "remove":
            raise PatchError(f"{where}: cannot remove the whole document")
        return copy.deepcopy(op["value"])
    parent = doc
    for depth, part in enumerate(parts[:-1]):
        parent = _child(parent, part, f"{where} {pointer(parts[: depth + 1])}")
    last = parts[-1]
    if isinstance(parent, list):
        position = _index(parent, last, f"{where} {op['path']}", allow_end=kind == "add")
        if kind == "add":
            parent.insert(position, copy.deepcopy(op["value"]))
        elif kind == "replace":
            parent[position] = copy.deepcopy(op["value"])
        else:
            del parent[position]
        return doc
    if not isinstance(parent, dict):
        raise PatchError(f"{where} {op['path']}: the parent is not an object or a list")
    if kind != "add" and last not in parent:
        raise PatchError(f"{where} {op['path']}: no such member")
    if kind == "remove":
        del parent[last]
    else:
        parent[last] = copy.deepcopy(op["value"])
    return doc


def _child(node: Any, part: str, where: str) -> Any:
    if isinstance(node, dict):
        if part not in node:
            raise PatchError(f"{where}: no such member")
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, where, allow_end=False)]
    raise PatchError(f"{where}: not an object or a list")


def _index(node: list[Any], part: str, where: str, allow_end: bool) -> int:
    if allow_end and part == "-":
        return len(node)
    if not part.isdigit() or (len(part) > 1 and part[0] == "0"):
        raise PatchError(f"{where}: {part!r} is not a list index")
    position = int(part)
    if position > len(node) or (position == len(node) and not allow_end):
        raise PatchError(f"{where}: index {position} is past the end")
    return position

"""JSON Patch between two documents: applying ``diff(a, b)`` to ``a`` gives ``b`` for any JSON documents
(hypothesis), the patch of a small change is small, and a patch that does not fit is refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sellerpulse.core.api import patch

keys = st.text(alphabet="ab/~0", min_size=0, max_size=3)  # "/" and "~" must be escaped in pointers
scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=3)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(documents, documents)
def test_applying_the_diff_of_two_documents_gives_the_second(old, new) -> None:
    before = json.dumps(old)
    result = patch.apply(old, patch.diff(old, new))
    assert json.dumps(result) == json.dumps(new)  # types too: 1 and 1.0 and True are told apart
    assert json.dumps(old) == before  # the original is left alone


def test_a_changed_number_deep_inside_is_one_replace() -> None:
    old = {"accounts": {"a/b": {"metrics": {"odr": {"value": 0.01, "history": [1, 2]}}}}, "at": 5}
    new = json.loads(json.dumps(old))
    new["accounts"]["a/b"]["metrics"]["odr"]["value"] = 0.02
    assert patch.diff(old, new) == [
        {"op": "replace", "path": "/accounts/a~1b/metrics/odr/value", "value": 0.02}
    ]
    assert patch.diff(old, json.loads(json.dumps(old))) == []


def test_an_object_whose_keys_changed_is_replaced_whole_keeping_their_order() -> None:
    new = {"c": 3, "b": 2}
    assert patch.diff({"x": {"b": 2}}, {"x": new}) == [{"op": "replace", "path": "/x", "value": new}]
    assert list(patch.apply({"x": {"b": 2}}, patch.diff({"x": {"b": 2}}, {"x": new}))["x"]) == ["c", "b"]


def test_add_and_remove_written_by_others_apply() -> None:
    ops = [
        {"op": "remove", "path": "/a"},
        {"op": "add", "path": "/l/-", "value": 3},
        {"op": "add", "path": "/c", "value": 1},
    ]
    assert patch.apply({"a": 1, "l": [1]}, ops) == {"l": [1, 3], "c": 1}


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        ([{"op": "replace", "path": "/x/y", "value": 1}], "operation 0 /x: no such member"),
        ([{"op": "remove", "path": "/list/7"}], "operation 0 /list/7: index 7 is past the end"),
        ([{"op": "move", "path": "/a", "from": "/b"}], "operation 0: unsupported op 'move'"),
        ([{"op": "add", "path": "a", "value": 1}], "'a': a JSON pointer starts with /"),
        ([{"op": "replace", "path": "/a"}], "operation 0: replace needs a 'value'"),
    ],
)
def test_a_patch_that_does_not_fit_is_refused(ops, message: str) -> None:
    with pytest.raises(patch.PatchError) as caught:
        patch.apply({"a": 1, "list": [1]}, ops)
    assert str(caught.value) == message

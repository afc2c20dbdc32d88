"""The file triggers' rule over listings: a per-file watermark, the settle poll, the
cut-off and maxFileCount, and the same state giving the same files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway import PortwayError
from runtime.builtins.file_trigger import TriggerRule, new_files, rule_of
from runtime.builtins.files import FileEntry, clean_path

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def entry(path: str, size: int = 1, at: int = 0, folder: bool = False) -> FileEntry:
    return FileEntry(path=path, size=size, modified=T0 + timedelta(seconds=at),
                     is_folder=folder)


def twice(listing: list[FileEntry], state: dict[str, Any], rule: TriggerRule = TriggerRule()
          ) -> tuple[list[str], dict[str, Any]]:
    """Two polls over the same listing: what fires once it settled."""
    first, state = new_files(listing, state, rule)
    assert first == [] or state
    fired, state = new_files(listing, state, rule)
    return [e.path for e in first + fired], state


def test_a_file_fires_after_two_equal_sightings_and_never_again_unchanged() -> None:
    listing = [entry("/a"), entry("/sub", folder=True)]
    first, state = new_files(listing, {}, TriggerRule())
    assert first == []
    fired, state = new_files(listing, state, TriggerRule())
    assert [e.path for e in fired] == ["/a"]
    assert new_files(listing, state, TriggerRule())[0] == []


def test_a_file_still_growing_waits_until_it_settles() -> None:
    _, state = new_files([entry("/a", size=10)], {}, TriggerRule())
    grown, state = new_files([entry("/a", size=20)], state, TriggerRule())
    assert grown == []
    settled, _ = new_files([entry("/a", size=20)], state, TriggerRule())
    assert [e.size for e in settled] == [20]


def test_preserved_old_times_rewrites_and_recreations_all_fire() -> None:
    fired, state = twice([entry("/a", at=100)], {})
    assert fired == ["/a"]
    old_copy = [entry("/a", at=100), entry("/b", at=-9999)]  # uploaded keeping an old time
    fired, state = twice(old_copy, state)
    assert fired == ["/b"]
    assert twice(old_copy, state)[0] == []
    rewritten = [entry("/a", size=5, at=100), entry("/b", at=-9999)]
    fired, state = twice(rewritten, state)
    assert fired == ["/a"]
    _, state = twice([entry("/b", at=-9999)], state)  # /a deleted...
    assert twice([entry("/a", size=5, at=100), entry("/b", at=-9999)], state)[0] == ["/a"]


def test_added_only_ignores_modifications() -> None:
    rule = TriggerRule(on_modified=False)
    fired, state = twice([entry("/a")], {}, rule)
    assert fired == ["/a"]
    assert twice([entry("/a", size=99, at=50)], state, rule)[0] == []


def test_max_file_count_takes_the_oldest_and_keeps_the_rest_ready() -> None:
    listing = [entry("/c", at=3), entry("/a", at=1), entry("/b", at=1), entry("/d", at=0)]
    rule = TriggerRule(max_files=2)
    _, state = new_files(listing, {}, rule)
    first, after = new_files(listing, state, rule)
    assert [e.path for e in first] == ["/d", "/a"]
    assert new_files(listing, state, rule) == (first, after)  # the same state, the same
    second, after = new_files(listing, after, rule)
    assert [e.path for e in second] == ["/b", "/c"]


def test_the_cut_off_skips_files_modified_at_or_before_it() -> None:
    rule = rule_of({"maxFileCount": "5", "oldFileCutOffTimestamp": "2026-12-04T10:00:10"})
    assert (rule.max_files, rule.cutoff) == (5, T0 + timedelta(seconds=10))
    assert twice([entry("/old", at=10), entry("/new", at=11)], {}, rule)[0] == ["/new"]


@pytest.mark.parametrize("parameters", [{"maxFileCount": 0}, {"maxFileCount": 101},
                                        {"maxFileCount": "many"}, {"maxFileCount": True},
                                        {"oldFileCutOffTimestamp": "yesterday"}])
def test_bad_trigger_parameters_are_clear_errors(parameters: dict[str, Any]) -> None:
    with pytest.raises(PortwayError) as caught:
        rule_of(parameters)
    assert caught.value.code == "InvalidParameter"


@pytest.mark.parametrize("given, canonical", [("inbox/a.csv", "/inbox/a.csv"),
                                              ("\\inbox\\a.csv", "/inbox/a.csv"),
                                              ("/inbox/./x/../a.csv", "/inbox/a.csv"),
                                              ("", "/"), ("//", "/")])
def test_paths_have_one_canonical_form(given: str, canonical: str) -> None:
    assert clean_path(given) == canonical

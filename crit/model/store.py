"""Keyed stores: each poll's list is diffed against the last one into added / removed / updated ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["Diff", "KeyedStore", "Changes"]


@dataclass(slots=True)
class Diff:
    """Ids added, removed and updated by one poll."""

    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.updated)

    def merge(self, other: Diff) -> None:
        """Fold a later diff into this one (an id added then removed disappears, and so on)."""
        for key in other.added:
            if key in self.removed:
                self.removed.discard(key)
                self.updated.add(key)
            else:
                self.added.add(key)
        for key in other.removed:
            if key in self.added:
                self.added.discard(key)
            else:
                self.updated.discard(key)
                self.removed.add(key)
        for key in other.updated:
            if key not in self.added:
                self.updated.add(key)

    @property
    def changed(self) -> set[str]:
        """Ids whose row must be (re)built: added or updated."""
        return self.added | self.updated


@dataclass(slots=True)
class Changes:
    """What changed in one model update, per kind."""

    pods: Diff = field(default_factory=Diff)
    containers: Diff = field(default_factory=Diff)
    images: Diff = field(default_factory=Diff)
    full: bool = False  # the first snapshot after start: every row is new

    def __bool__(self) -> bool:
        return bool(self.pods or self.containers or self.images)

    def merge(self, other: Changes) -> None:
        self.pods.merge(other.pods)
        self.containers.merge(other.containers)
        self.images.merge(other.images)
        self.full = self.full or other.full


def _detach(item: T) -> T:
    copy_from = getattr(item, "CopyFrom", None)
    if copy_from is None:
        return item
    fresh = type(item)()
    fresh.CopyFrom(item)  # type: ignore[attr-defined]
    return fresh


class KeyedStore(Generic[T]):
    """The current items of one kind, keyed by id; :meth:`apply` replaces them with a new poll and returns
    the :class:`Diff`.  Items are compared with ``==`` (protobuf messages compare field by field in C)."""

    def __init__(self, key: Callable[[T], str] = attrgetter("id")) -> None:
        self._key = key
        self.items: dict[str, T] = {}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, key: object) -> bool:
        return key in self.items

    def get(self, key: str) -> T | None:
        return self.items.get(key)

    def apply(self, new_items: Iterable[T]) -> Diff:
        """Replace the items; unchanged ones keep their old object, new and changed ones are copied out of
        the response they came in (a protobuf sub-message pins its whole response in memory, so keeping
        references into many responses would grow memory with every refresh)."""
        key = self._key
        old = self.items
        new: dict[str, T] = {}
        diff = Diff()
        for item in new_items:
            k = key(item)
            prev = old.get(k)
            if prev is None:
                diff.added.add(k)
                new[k] = _detach(item)
            elif prev != item:
                diff.updated.add(k)
                new[k] = _detach(item)
            else:
                new[k] = prev
        if len(old) + len(diff.added) != len(new):
            diff.removed = old.keys() - new.keys()
        self.items = new
        return diff

    def values(self) -> Any:
        return self.items.values()

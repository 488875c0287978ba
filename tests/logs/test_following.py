"""Which containers the Logs pane follows: all of the deployment's until the user chooses."""

from __future__ import annotations

from tui.logs.following import ContainerChoice


def test_auto_follows_every_listed_container_including_new_ones() -> None:
    c = ContainerChoice()
    assert c.describe() == "containers …"
    assert c.on_listed(["b", "a"]) == {"a", "b"}
    assert c.changes() == (["a", "b"], [])
    c.followed |= {"a", "b"}
    assert c.describe() == "containers a, b"
    assert c.on_listed(["a", "b", "c"]) == {"a", "b", "c"}  # appeared later: followed too
    assert c.changes() == (["c"], [])


def test_a_choice_sticks_and_none_means_off() -> None:
    c = ContainerChoice()
    c.on_listed(["a", "b"])
    c.followed |= {"a", "b"}
    c.choose(set())
    assert c.changes() == ([], ["a", "b"])
    c.followed.clear()
    assert c.describe() == "containers off (o)"
    assert c.on_listed(["a", "b", "c"]) == frozenset()  # new ones are not forced on
    c.add("c")  # the Status pane's `l`
    assert c.changes() == (["c"], [])


def test_nothing_listed_or_a_failure_is_said() -> None:
    c = ContainerChoice()
    c.on_listed([])
    assert c.describe() == "no containers of this deployment (o)"
    c.on_list_failed("could not list them: engine down")
    assert c.describe() == "containers: could not list them: engine down (o)"


def test_a_container_asked_for_by_name_stays_while_following_automatically() -> None:
    c = ContainerChoice()
    c.add("x")  # the Status pane's `l` before the first listing came back
    assert c.on_listed(["a"]) == {"a", "x"}
    c.choose({"a"})
    assert c.on_listed(["a"]) == {"a"}

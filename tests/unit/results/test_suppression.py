"""The federation's disclosure rule: nothing computed from fewer than 5 respondents, directly or by subtraction."""

from __future__ import annotations

from service.results.federation import anonymous_labels, suppress


def test_a_small_member_is_hidden_and_so_is_the_next_smallest() -> None:
    decision = suppress({1: 20, 2: 8, 3: 3}, min_n=5)
    assert decision.small == {3}
    assert decision.secondary == {2}  # otherwise 31 - 20 - 8 = 3 gives member 3 away
    assert not decision.network_hidden


def test_two_small_members_that_add_up_to_five_protect_each_other() -> None:
    decision = suppress({1: 20, 2: 3, 3: 2}, min_n=5)
    assert decision.small == {2, 3}
    assert decision.secondary == frozenset()  # together they are 5: subtracting gives an aggregate of 5


def test_when_nothing_else_can_be_hidden_the_network_is() -> None:
    decision = suppress({1: 20, 2: 3}, min_n=5)
    assert decision.secondary == {1}
    assert not decision.network_hidden
    # member 1 looking at itself knows its own 20: the network would give member 2 away
    assert suppress({1: 20, 2: 3}, min_n=5, own=1).network_hidden


def test_a_member_looking_is_counted_as_known() -> None:
    decision = suppress({1: 20, 2: 8, 3: 3}, min_n=5, own=2)
    assert decision.secondary == {1}
    assert suppress({1: 20, 2: 8, 3: 3}, min_n=5, own=3).secondary == frozenset()  # 3 knows itself


def test_values_below_min_n_are_unknown_to_the_viewer_so_they_protect_the_small() -> None:
    # member 2 has 10 answers but the indicator needs 30: its value is not shown, the residual is 13
    decision = suppress({1: 40, 2: 10, 3: 3}, min_n=30)
    assert decision.small == {3} and decision.secondary == frozenset()


def test_a_tiny_network_is_not_a_secondary_matter() -> None:
    decision = suppress({1: 2, 2: 1}, min_n=5)
    assert decision.small == {1, 2} and decision.secondary == frozenset() and not decision.network_hidden


def test_anonymous_letters_do_not_follow_ids_or_names() -> None:
    labels = anonymous_labels(7, list(range(1, 30)))
    assert sorted(labels.values(), key=lambda s: (len(s), s))[:3] == ["A", "B", "C"]
    assert "AA" in labels.values()
    assert [labels[i] for i in range(1, 6)] != ["A", "B", "C", "D", "E"]
    assert anonymous_labels(7, list(range(1, 30))) == labels  # stable

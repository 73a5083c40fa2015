"""Champion/challenger: the hash split's shares, its stability and independence, and what an experiment file may
say."""

from decimal import Decimal
from pathlib import Path

import pytest

from domain.experiments import Experiment, position
from domain.policy import DEFAULT_POLICY_DIR
from domain.policy_book import PolicyBook

SPLIT = Experiment(name="early-letter", champion="standard",
                   challengers=[{"policy": "fast", "share": 0.10}, {"policy": "slow", "share": 0.25}])  # fmt: skip


def test_the_hash_split_gives_each_arm_its_share_over_100000_accounts() -> None:
    ids = [f"ACC-{n:06d}" for n in range(100_000)]
    arms = [SPLIT.arm(account)[1] for account in ids]
    for arm, share in (("early-letter/fast", 0.10), ("early-letter/slow", 0.25), ("early-letter/champion", 0.65)):
        spread = (share * (1 - share) / len(ids)) ** 0.5
        assert abs(arms.count(arm) / len(ids) - share) < 4 * spread, arm
    assert [SPLIT.arm(account) for account in ids[:50]] == [SPLIT.arm(account) for account in ids[:50]]  # stable


def test_two_experiments_split_the_same_accounts_independently() -> None:
    ids = [f"ACC-{n:06d}" for n in range(20_000)]
    first = [position("one", a) < 0.5 for a in ids]
    second = [position("two", a) < 0.5 for a in ids]
    both = sum(a and b for a, b in zip(first, second, strict=True)) / len(ids)
    assert abs(both - 0.25) < 0.015  # as independent halves would


def copy_policies(folder: Path, experiment: str, challenger: bool = True) -> Path:
    folder.mkdir()
    for path in DEFAULT_POLICY_DIR.glob("*.toml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    if challenger:
        source = DEFAULT_POLICY_DIR.parent / "examples" / "policies" / "standard-early-letter.toml"
        (folder / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "experiments").mkdir()
    (folder / "experiments" / "test.toml").write_text(experiment, encoding="utf-8")
    return folder


EARLY = ('name = "early-letter"\nchampion = "standard"\nsegments = ["standard"]\n'
         'challengers = [{ policy = "standard-early-letter", share = 0.5 }]\n')  # fmt: skip


def test_the_book_assigns_new_accounts_of_the_champion_to_the_arms(tmp_path: Path) -> None:
    book = PolicyBook(copy_policies(tmp_path / "p", EARLY))
    chosen = [book.for_account(f"A{n}", "standard", "CNY", Decimal(1000)) for n in range(40)]
    assert {(policy.name, arm) for policy, arm in chosen} == {
        ("standard", "early-letter/champion"),
        ("standard-early-letter", "early-letter/standard-early-letter"),
    }
    assert book.for_account("A1", "commercial", "CNY", Decimal(1000)) == (book.by_name("commercial"), None)
    large = book.for_account("A1", "standard", "CNY", Decimal(600_000))  # a band's policy: not the champion's
    assert large == (book.by_name("accelerated"), None)
    assert book.for_segment("standard").name == "standard"  # the challenger serves no segment of its own


@pytest.mark.parametrize(
    ("experiment", "challenger", "error"),
    [
        (EARLY, False, "no policy 'standard-early-letter'"),
        (EARLY.replace("}]", '}, { policy = "commercial", share = 0.6 }]'), True, "must keep some"),
        (EARLY.replace("standard-early-letter", "standard"), True, "each arm is a different policy"),
        (EARLY.replace('name = "early-letter"', 'name = "Early Letter!"'), True, "invalid experiment file"),
    ],
)
def test_a_bad_experiment_is_refused_naming_it(tmp_path: Path, experiment: str, challenger: bool, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        PolicyBook(copy_policies(tmp_path / "p", experiment, challenger))


def test_two_experiments_may_not_split_the_same_accounts(tmp_path: Path) -> None:
    folder = copy_policies(tmp_path / "p", EARLY)
    (folder / "experiments" / "other.toml").write_text(EARLY.replace('"early-letter"', '"other"', 1))
    with pytest.raises(ValueError, match="split the same accounts"):
        PolicyBook(folder)

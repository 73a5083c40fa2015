"""Creditor profiles (domain.creditor): loaded from a folder with every error named, chosen per account, printed on
what is sent; and no message goes out where none is configured."""

import shutil
from pathlib import Path

import pytest

from activities.rendering import Renderer, TemplateError
from domain.creditor import MAX_IMAGE_BYTES, CreditorBook
from domain.policy_book import PolicyBook
from settings import EXAMPLE_CREDITORS, ConfigError, Settings
from tests.activities.test_rendering import requests
from tests.factories import EXAMPLE_CREDITOR

SECOND = """
name = "Example Logistics Ltd"
registration_number = "HRB 12345"
address = { lines = ["1 Harbour Road"], city = "Hong Kong", country = "HK" }
contact = { phone = "+852 5555 0100", email = "ar@logistics.example.com" }
[[bank_accounts]]
currency = "HKD"
bank = "Example Bank HK"
holder = "Example Logistics Ltd"
number = "012-345-678"
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE_CREDITORS, tmp_path / "creditors")
    return tmp_path / "creditors"


def test_the_example_profile_loads_with_its_seal_inlined() -> None:
    creditor = EXAMPLE_CREDITOR.resolve(None)
    assert (creditor.id, creditor.name_in("en"), creditor.name_in("zh-CN")) == (
        "example-trading", "Example Trading (Shanghai) Co., Ltd.", "上海示例贸易有限公司"
    )  # fmt: skip
    assert creditor.seal is not None and creditor.seal.startswith("data:image/svg+xml;base64,")
    assert [a.number for a in creditor.accounts_for(["USD"])] == ["4000 1234 5678 9012"]
    assert [a.currency for a in creditor.accounts_for(["EUR"])] == ["CNY", "USD"]  # none matches: all of them
    assert creditor.accounts_for(["USD"])[0].instructions("zh-CN") == (
        "请汇款至：户名 Example Trading (Shanghai) Co., Ltd.，开户行 Example Bank, Shanghai Branch，账号 "
        "4000 1234 5678 9012 (SWIFT EXMPCNSH)，并在附言中注明发票号。"
    )


def test_several_entities_and_the_default(folder: Path) -> None:
    (folder / "example-logistics.toml").write_text(SECOND, encoding="utf-8")
    book = CreditorBook(folder)
    assert book.default == "example-trading"  # marked default
    assert book.resolve("example-logistics").address.block("en")[-1] == "Hong Kong SAR China"
    with pytest.raises(ValueError, match="account ACC-9 names creditor 'nobody', which has no profile in .* "
                                         r"\(known: example-logistics, example-trading\)"):  # fmt: skip
        book.resolve("nobody", "account ACC-9")
    (folder / "example-trading.toml").write_text(
        (folder / "example-trading.toml").read_text(encoding="utf-8").replace("default = true\n", "")
    )
    with pytest.raises(ValueError, match=r"names no creditor, and .* holds several profiles but no default"):
        CreditorBook(folder).resolve(None)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda t: t.replace('registration_number = "91310115MA1EXAMPLE"\n', ""),
            "registration_number: Field required",
        ),
        (lambda t: t.replace('country = "CN"', 'country = "Cathay"'), "address.country: Value error, unknown country"),
        (lambda t: t.replace('currency = "USD"', 'currency = "Dollars"'), "bank_accounts.1.currency"),
        (lambda t: t.replace('number = "6222', 'number = "<b>6222'), "bank_accounts.0.number: String should match"),
        (
            lambda t: t.replace("names = {", "names = { fr = 'x',"),
            "names: Value error, names in unsupported locale(s) fr",
        ),
        (lambda t: t.replace("example-seal.svg", "../../etc/passwd"), "passwd: an image must be .png, .jpg"),
        (lambda t: "fax = 1\n" + t, "fax: Extra inputs are not permitted"),
        (lambda t: t + "\n[[", "Invalid"),  # not TOML
    ],
)
def test_a_broken_profile_is_refused_naming_the_file_and_the_field(folder: Path, change, reason: str) -> None:
    path = folder / "example-trading.toml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ValueError, match=r"creditor profile .*example-trading\.toml: ") as error:
        CreditorBook(folder)
    assert reason in str(error.value)


def test_an_image_too_large_to_print_is_refused(folder: Path) -> None:
    (folder / "example-seal.svg").write_bytes(b"<svg>" + b" " * MAX_IMAGE_BYTES + b"</svg>")
    with pytest.raises(ValueError, match=r"example-seal.svg is 262,155 bytes: at most 262,144"):
        CreditorBook(folder)


def test_a_policy_or_an_invoice_naming_an_unknown_creditor_is_refused(tmp_path: Path) -> None:
    shutil.copytree(PolicyBook().folder, tmp_path / "policies")
    standard = tmp_path / "policies" / "standard.toml"
    standard.write_text(
        standard.read_text(encoding="utf-8").replace("version = 1\n", 'version = 1\ncreditor = "acme"\n')
    )
    with pytest.raises(ValueError, match=r"policy standard names creditor 'acme', which has no profile \(known: "
                                         r"example-trading\)"):  # fmt: skip
        PolicyBook(tmp_path / "policies", creditors=frozenset(EXAMPLE_CREDITOR.by_id))
    assert PolicyBook(tmp_path / "policies").for_segment("standard").creditor == "acme"  # profiles unknown here


def test_without_a_profile_nothing_is_signed_and_the_reason_is_given() -> None:
    letter = next(r for r in requests("en") if r.template == "formal_demand")
    with pytest.raises(TemplateError, match=r"no creditor profiles are configured \(COLLECTIONS_CREDITOR_DIR\)"):
        Renderer().letter(letter)
    unknown = letter.model_copy(update={"creditor": "acme"})
    with pytest.raises(TemplateError, match="account ACC-1 names creditor 'acme', which has no profile"):
        Renderer(creditors=EXAMPLE_CREDITOR).letter(unknown)


def test_the_worker_needs_profiles_but_in_development(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.delenv("COLLECTIONS_CREDITOR_DIR", raising=False)
    with pytest.raises(ConfigError, match="COLLECTIONS_CREDITOR_DIR is not set: letters, emails and SMS are signed"):
        Settings.from_env().creditors()
    assert Settings.from_env().creditors(development=True).default == "example-trading"
    monkeypatch.setenv("COLLECTIONS_CREDITOR_DIR", str(folder / "missing"))
    with pytest.raises(ConfigError, match="COLLECTIONS_CREDITOR_DIR: no creditor profile folder"):
        Settings.from_env().creditors()

import pytest

from xinyong.config import Settings
from xinyong.errors import ConfigurationError
from xinyong.privacy.crypto import DataVault
from xinyong.privacy.masking import HIDDEN, ID_NUMBER, MaskRule


def test_id_number_masked_to_first_six_and_last_four() -> None:
    assert ID_NUMBER.apply("360426199101010071") == "360426********0071"


def test_short_values_are_never_revealed_whole() -> None:
    assert MaskRule("keep", 1, 1).apply("张三") == "张*"
    assert MaskRule("keep", 6, 4).apply("12345") not in ("12345", None)
    assert "*" in (MaskRule("keep", 6, 4).apply("12345") or "")


def test_hidden_fields_publish_nothing() -> None:
    assert HIDDEN.apply("13800000000") is None


def test_vault_seals_and_hashes(pure_settings: Settings) -> None:
    vault = DataVault.from_settings(pure_settings)
    token = vault.seal("360426199101010071")
    assert "360426199101010071" not in token
    assert vault.unseal(token) == "360426199101010071"
    assert vault.lookup_hash("ric", "360426199101010071") == vault.lookup_hash(
        "ric", "360426199101010071"
    )
    assert vault.seal("x") != vault.seal("x")  # random nonce


def test_vault_with_another_key_refuses_clearly(pure_settings: Settings) -> None:
    token = DataVault.from_settings(pure_settings).seal("secret")
    other = DataVault.from_settings(
        pure_settings.model_copy(update={"data_key": "another-key-0123456789abcdef0123"})
    )
    with pytest.raises(ConfigurationError, match="XINYONG_DATA_KEY"):
        other.unseal(token)


def test_production_refuses_default_secrets() -> None:
    with pytest.raises(ConfigurationError, match="XINYONG_SECRET_KEY"):
        Settings(environment="production")


def test_malformed_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from xinyong.config import load_settings

    monkeypatch.setenv("XINYONG_SESSION_HOURS", "abc")
    with pytest.raises(ConfigurationError) as err:
        load_settings()
    assert err.value.field == "XINYONG_SESSION_HOURS"
    assert "XINYONG_SESSION_HOURS" in err.value.message

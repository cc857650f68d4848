import pytest
from kairan_merchants.normalising import legal_name_key, normalise_postal_code, phone_digits
from kairan_merchants.settings import parse_choices


@pytest.mark.parametrize("value,expected", [
    ("980-8570", "980-8570"), ("9808570", "980-8570"), ("９８０－８５７０", "980-8570"),
    ("〒980-8570", "980-8570"), ("98-08570", None), ("980-857", None), ("", None),
])
def test_postal_codes(value, expected):
    assert normalise_postal_code(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("022-211-2111", "0222112111"), ("03-1234-5678", "0312345678"),
    ("090-1234-5678", "09012345678"), ("050-1234-5678", "05012345678"),
    ("0120-123-456", "0120123456"), ("+81 90 1234 5678", "09012345678"),
    ("(022) 211-2111", "0222112111"), ("０２２ー２１１ー２１１１", "0222112111"),
    ("090-1234-567", None), ("022-211-21111", None), ("1234567890", None),
    ("+1 202 555 0100", None), ("00-1234-5678", None), ("abc", None), ("", None),
])
def test_phone_numbers(value, expected):
    assert phone_digits(value) == expected


def test_legal_names_compare_loosely():
    assert legal_name_key("株式会社 回覧板") == legal_name_key("(株)回覧板")
    assert legal_name_key("ＡＢＣ商店") == legal_name_key("abc商店")


def test_choices_parse_and_refuse_duplicates():
    from kairan.settings import SettingsError

    choices = parse_choices("a:県ポイント:Prefectural_points b:地域", "k")
    assert [(c.code, c.title, c.title_en) for c in choices] == [
        ("a", "県ポイント", "Prefectural points"), ("b", "地域", "")]
    assert choices[1].label("en") == "地域"
    with pytest.raises(SettingsError):
        parse_choices("a:x a:y", "k")
    with pytest.raises(SettingsError):
        parse_choices("nocolon", "k")

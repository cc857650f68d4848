from kairan_merchants import qr

SECRET = "unit-test-secret-0123456789abcdef"


def test_sign_and_verify_round_trip():
    payload = qr.sign(SECRET, 42, 3)
    assert payload.startswith("KM1.42.3.") and len(payload) == len("KM1.42.3.") + 22
    assert qr.verify(SECRET, payload) == (42, 3)
    assert qr.verify(SECRET, "https://city.example.jp/pay?c=" + payload) == (42, 3)


def test_another_secret_or_a_changed_field_fails():
    payload = qr.sign(SECRET, 42, 3)
    assert qr.verify("another-secret", payload) is None
    assert qr.verify(SECRET, payload.replace("KM1.42.", "KM1.43.")) is None
    assert qr.verify(SECRET, payload.replace(".3.", ".4.")) is None
    assert qr.verify(SECRET, payload + "x") is None


def test_the_key_is_derived_not_the_secret_itself():
    assert qr.qr_key(SECRET) != SECRET.encode() and len(qr.qr_key(SECRET)) == 32


def test_svg_is_a_qr_code():
    svg = qr.svg("KM1.1.1.AAAAAAAAAAAAAAAAAAAAAA", "テスト")
    assert svg.startswith("<svg") and "<title>テスト</title>" in svg
    assert qr.svg_document("KM1.1.1.x", "t").startswith(b"<?xml")

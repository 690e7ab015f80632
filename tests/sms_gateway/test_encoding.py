"""Encoding and parts of an SMS, as the operator counts and bills them."""

import pytest

from sms_gateway.encoding import GSM, UCS2, sms_shape


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", GSM, 0, 0),
        ("a" * 160, GSM, 160, 1),
        ("a" * 161, GSM, 161, 2),
        ("a" * 306, GSM, 306, 2),
        ("a" * 307, GSM, 307, 3),
        ("€" * 80, GSM, 160, 1),  # extension characters take two septets
        ("€" * 81, GSM, 162, 2),
        ("Reply STOP to opt out", GSM, 21, 1),
        ("Ça va? à demain", GSM, 15, 1),
        ("Ça va? à bientôt", UCS2, 16, 1),  # ô is not in GSM 03.38
        ("ç", UCS2, 1, 1),  # only the capital Ç is in GSM 03.38
        ("【老王烧烤】" + "欢" * 64, UCS2, 70, 1),
        ("【老王烧烤】" + "欢" * 65, UCS2, 71, 2),
        ("回TD退订", UCS2, 5, 1),
        ("😀" * 35, UCS2, 70, 1),  # outside the BMP: a surrogate pair each
    ],
)
def test_encoding_units_and_parts(text, encoding, units, count):
    shape = sms_shape(text)
    assert (shape.encoding, shape.units, shape.count) == (encoding, units, count)
    assert "".join(shape.parts) == text


def test_parts_hold_153_septets_and_never_split_an_escape():
    shape = sms_shape("a" * 152 + "€" + "b" * 10)
    assert [len(p.encode("gsm03.38")) for p in shape.parts] == [152, 12]
    assert shape.parts[0] == "a" * 152


def test_parts_hold_67_units_and_never_split_a_surrogate_pair():
    shape = sms_shape("欢" * 66 + "😀" + "欢" * 10)
    assert [len(p.encode("utf-16-le")) // 2 for p in shape.parts] == [66, 12]
    assert shape.parts[1].startswith("😀")

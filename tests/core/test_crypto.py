"""Personal data at rest: encrypted columns, the keyed search hash, masking and the validators."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from fengqiao.cases.models import Case, Party
from fengqiao.core import crypto
from fengqiao.core.validators import id_number_check_char, validate_id_number, validate_phone
from tests.conftest import Org, case_payload
from tests.helpers import new_case

PHONE, ID_NUMBER = "13812341234", "11010519491231002X"


def _party(role: str = "applicant", **values: str) -> dict[str, str]:
    return {"role": role, "name": "王小明", **values}


# --------------------------------------------------------------------------------------------
# encryption at rest


@pytest.mark.django_db
def test_party_columns_are_encrypted_at_rest(org: Org) -> None:
    case = new_case(
        org,
        parties=[_party(phone=PHONE, id_number=ID_NUMBER, address="白塔镇白塔村88号")],
    )
    party = case.parties.get()
    assert (party.name, party.phone, party.id_number, party.address) == ("王小明", PHONE, ID_NUMBER, "白塔镇白塔村88号")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, phone, id_number, address, phone_hash, id_hash FROM cases_party WHERE id = %s", [party.pk]
        )
        name, phone, id_number, address, phone_hash, id_hash = cur.fetchone()
    row = " ".join([name, phone, id_number, address, phone_hash, id_hash])
    for plain in ["王小明", PHONE, "1234", ID_NUMBER, "19491231", "白塔村"]:
        assert plain not in row, plain
    assert crypto.decrypt(phone) == PHONE and crypto.decrypt(name) == "王小明"
    assert phone_hash == crypto.search_hash(PHONE) and id_hash == crypto.search_hash(ID_NUMBER, "id")
    # Encryption is randomised: the same value twice gives two different tokens.
    assert crypto.encrypt(PHONE) != crypto.encrypt(PHONE)


@pytest.mark.django_db
def test_staff_mobile_is_encrypted_at_rest(org: Org) -> None:
    user = org.user("handler1")
    user.mobile = PHONE
    user.save()
    with connection.cursor() as cur:
        cur.execute("SELECT mobile FROM org_user WHERE id = %s", [user.pk])
        (raw,) = cur.fetchone()
    assert PHONE not in raw
    user.refresh_from_db()
    assert user.mobile == PHONE


def test_decrypt_with_another_key_fails_clearly() -> None:
    token = crypto.encrypt(PHONE)
    with (
        override_settings(FENGQIAO_DATA_KEY="another-key-another-key-another-key"),
        pytest.raises(ValueError, match="FENGQIAO_DATA_KEY"),
    ):
        crypto.decrypt(token)


def test_key_rotation_decrypts_old_tokens() -> None:
    with override_settings(FENGQIAO_DATA_KEY="old-key-old-key-old-key-old-key-0"):
        token = crypto.encrypt(PHONE)
        old_hash = crypto.search_hash(PHONE)
    with override_settings(FENGQIAO_DATA_KEY="new-key-new-key-new-key-new-key-1,old-key-old-key-old-key-old-key-0"):
        assert crypto.decrypt(token) == PHONE
        assert crypto.search_hash(PHONE) != old_hash  # the first (new) key hashes


def test_search_hash_is_keyed() -> None:
    h = crypto.search_hash(PHONE)
    with override_settings(FENGQIAO_DATA_KEY="another-key-another-key-another-key"):
        assert crypto.search_hash(PHONE) != h
    import hashlib

    assert h != hashlib.sha256(PHONE.encode()).hexdigest()
    assert h != hashlib.sha256(f"phone:{PHONE}".encode()).hexdigest()
    assert crypto.search_hash(ID_NUMBER, "id") != crypto.search_hash(ID_NUMBER, "phone")


# --------------------------------------------------------------------------------------------
# finding a person's cases


@pytest.mark.django_db
def test_keyed_hash_finds_all_cases_of_a_phone_number(org: Org) -> None:
    spellings = [PHONE, "+86 138 1234 1234", "+8613812341234", "138 1234 1234"]
    mine = [new_case(org, title=f"案件{i}", parties=[_party(phone=p)]) for i, p in enumerate(spellings)]
    other = new_case(org, title="别人的案件", parties=[_party(phone="13900001111")])
    for query in [PHONE, "+86 138-1234-1234", "86 13812341234", " 138 1234 1234 "]:
        found = set(Case.objects.filter(parties__phone_hash=crypto.search_hash(query)).values_list("pk", flat=True))
        assert found == {c.pk for c in mine}, query
    assert other.pk not in found
    assert Party.objects.filter(phone_hash=crypto.search_hash(PHONE)).count() == len(spellings)


@pytest.mark.django_db
def test_keyed_hash_finds_cases_by_id_number_whatever_the_case_of_x(org: Org) -> None:
    a = new_case(org, title="甲", parties=[_party(id_number=ID_NUMBER)])
    b = new_case(org, title="乙", parties=[_party(id_number=ID_NUMBER.lower())])
    found = Case.objects.filter(parties__id_hash=crypto.search_hash(" 11010519491231002x", "id"))
    assert set(found.values_list("pk", flat=True)) == {a.pk, b.pk}


@pytest.mark.django_db
def test_saving_a_party_keeps_its_hashes_current(org: Org) -> None:
    party = new_case(org).parties.get(role="applicant")
    party.phone = "+86 139 0000 2222"
    party.id_number = ""
    party.save()
    party.refresh_from_db()
    assert party.phone_hash == crypto.search_hash("13900002222")
    assert party.id_hash == ""


@pytest.mark.django_db
def test_registration_normalises_phone_and_id(org: Org) -> None:
    case = new_case(org, parties=[_party(phone="+86 138 1234 1234", id_number="11010519491231002x")])
    party = case.parties.get()
    assert (party.phone, party.id_number) == (PHONE, ID_NUMBER)


@pytest.mark.django_db
def test_registration_rejects_bad_phone_and_id(org: Org) -> None:
    from fengqiao.cases.actions import ActionInvalid, register_case

    before = (Case.objects.count(), Party.objects.count())
    bad = [_party(phone="1381234123"), _party(id_number="110105194912310021")]
    for party in bad:
        with pytest.raises(ActionInvalid) as info:
            register_case(org.actor("dispatcher"), case_payload(org, parties=[party]))
        assert "parties" in info.value.errors
    assert (Case.objects.count(), Party.objects.count()) == before


# --------------------------------------------------------------------------------------------
# masking


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("0576-87654321", "057****4321"),
        ("12345", "****"),
        ("", ""),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert crypto.mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("11010519491231002X", "110105********X"),
        ("330124198506150014", "330124********4"),
        ("AB1234567", "AB1****67"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_mask_id_number(value: str, masked: str) -> None:
    result = crypto.mask_id_number(value)
    assert result == masked
    if len(value) == 18:
        assert value[6:14] not in result, "the birth date is hidden"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("王小明", "王*明"), ("欧阳娜娜", "欧**娜"), ("王明", "王*"), ("王", "王"), ("", "")],
)
def test_mask_name(value: str, masked: str) -> None:
    assert crypto.mask_name(value) == masked


@pytest.mark.django_db
def test_party_masked_properties(org: Org) -> None:
    party = new_case(org).parties.get(role="applicant")
    assert (party.masked_name, party.masked_phone, party.masked_id_number) == (
        "王*明",
        "138****1234",
        "110105********X",
    )
    assert str(party) == "申请人 王*明"
    party.kind = "org"
    party.name = "白塔村股份经济合作社"
    assert party.masked_name == "白塔村股份经济合作社", "organisation names are public"


# --------------------------------------------------------------------------------------------
# validators


VALID_IDS = ["11010519491231002X", "330124198506150014", "440524188001010014", "110105200002290013"]


@pytest.mark.parametrize("value", [*VALID_IDS, "11010519491231002x", " 11010519491231002X "])
def test_valid_id_numbers(value: str) -> None:
    validate_id_number(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "invalid_id_checksum"),  # check character should be X
        ("330124198506150018", "invalid_id_checksum"),
        ("11010519491231002", "invalid_id_format"),  # 17 characters
        ("1101051949123100211", "invalid_id_format"),  # 19 characters
        ("11010519491231002Y", "invalid_id_format"),
        ("X10105194912310021", "invalid_id_format"),
        ("110105194913310024", "invalid_id_birthdate"),  # month 13
        ("110105190002290012", "invalid_id_birthdate"),  # 1900 was not a leap year
        ("", "invalid_id_format"),
    ],
)
def test_invalid_id_numbers(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_id_number(value)
    assert info.value.code == code


def test_id_check_character_follows_gb11643() -> None:
    for value in VALID_IDS:
        assert id_number_check_char(value[:17]) == value[17]
    # Changing any one digit changes the check character.
    body = VALID_IDS[1][:17]
    for i in range(17):
        changed = body[:i] + str((int(body[i]) + 1) % 10) + body[i + 1 :]
        assert id_number_check_char(changed) != VALID_IDS[1][17]


@pytest.mark.parametrize(
    "value",
    [
        "13812341234",
        "19912345678",
        "+8613812341234",
        "+86 138 1234 1234",
        "0576-87654321",
        "057687654321",
        "010-12345678",
    ],
)
def test_valid_phones(value: str) -> None:
    validate_phone(value)


@pytest.mark.parametrize(
    "value",
    [
        "12812341234",
        "1381234123",
        "138123412345",
        "23812341234",
        "138-1234-1234",
        "phone",
        "",
        "+1 4155550100",
        "0576-123",
    ],
)
def test_invalid_phones(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        validate_phone(value)
    assert info.value.code == "invalid_phone"

"""What a certificate's QR token and credentials say, and how anyone checks them: claims
and ID masking (DOMAIN.md §4: a public answer never shows a full ID number), the W3C
Bitstring Status List of revocations, the Open Badges 3.0 credential, and the EdDSA
signatures, checked with PyJWT as well, a JOSE library independent of the one that signs."""

import base64
import gzip
import json
import stat
import string
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from joserfc import jws
from joserfc.jwk import OKPKey

from app.certificates import credentials, statuslist
from app.certificates.claims import (
    CertificateFacts,
    claims_of,
    claims_problem,
    mask_id,
    status_entry,
)
from app.certificates.statuslist import LIST_BITS, StatusListInvalid
from app.core import keys, signing
from app.core.config import get_settings
from app.core.keys import KeysUnavailable, SigningKeys, key_set_of, signing_keys
from app.core.signing import TokenInvalid

RESIDENT_ID = "340104199003071235"  # valid check digit; born 1990-03-07
BASE_URL = "https://jiping.example.cn"
B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def make_facts(**overrides: Any) -> CertificateFacts:
    values: dict[str, Any] = {
        "number": "S000134000123264000017",
        "holder_name": "张晓梅",
        "id_type": "resident_id",
        "id_number": RESIDENT_ID,
        "occupation_name": "电工",
        "occupation_code": "6-31-01-03",
        "direction": "--",
        "level_display": "四级/中级工",
        "evaluator_name": "安徽技评职业技能鉴定中心",
        "issued_on": date(2026, 5, 20),
        "status_list": 1,
        "status_index": 16,
    }
    return CertificateFacts(**{**values, **overrides})


# -- masking -----------------------------------------------------------------------------


def test_a_resident_id_is_masked_to_region_and_last_four() -> None:
    masked = mask_id("resident_id", RESIDENT_ID)
    assert masked == "340" + "*" * 11 + "1235"
    assert "19900307" not in masked  # the birth date is hidden


def test_a_resident_id_typed_full_width_or_lower_case_is_masked_the_same() -> None:
    typed = "３４０１０４１９９００３０７１２３５"
    assert mask_id("resident_id", typed) == mask_id("resident_id", RESIDENT_ID)
    assert mask_id("resident_id", "11010519491231002x") == "110" + "*" * 11 + "002X"


@pytest.mark.parametrize(
    ("id_type", "value"),
    [
        ("passport", "E12345678"),
        ("hk_macao_permit", "H12345678"),
        ("taiwan_permit", "12345678"),
        ("foreign_permanent", "USA340100800101"),
        ("resident_id", "340104900307123"),  # a 15-digit ID of the old format
    ],
)
def test_other_documents_show_at_most_half_their_characters(id_type: str, value: str) -> None:
    masked = mask_id(id_type, value)
    assert masked != value
    hidden = masked.count("*")
    assert hidden >= len(value) / 2, masked
    assert value[2:-2] not in masked


@pytest.mark.parametrize(
    "id_type", ["resident_id", "passport", "hk_macao_permit", "taiwan_permit", "other"]
)
def test_no_length_of_id_number_is_ever_shown_in_full(id_type: str) -> None:
    for length in range(1, 31):
        value = "ABCDEFGHJKLMNPQRSTUVWXYZ234567"[:length]
        masked = mask_id(id_type, value)
        assert "*" in masked, (length, masked)
        assert masked != value


# -- claims ------------------------------------------------------------------------------


def test_the_token_claims_carry_what_a_verifier_reads_and_only_the_masked_id() -> None:
    facts = make_facts()
    claims = claims_of(facts)
    assert claims == {
        "no": "S000134000123264000017",
        "nm": "张晓梅",
        "id": "340" + "*" * 11 + "1235",
        "oc": "电工",
        "lv": "四级/中级工",
        "ev": "安徽技评职业技能鉴定中心",
        "dt": "2026-05-20",
        "st": [1, 16],
    }
    assert RESIDENT_ID not in json.dumps(claims)
    assert claims_problem(claims) is None
    assert status_entry(claims) == (1, 16)


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        ("no", "证书编号"),
        ("nm", "姓名"),
        ("id", "证件号码"),
        ("oc", "职业（工种）"),
        ("lv", "职业技能等级"),
        ("ev", "评价机构"),
        ("dt", "发证日期"),
    ],
)
def test_a_payload_missing_a_claim_names_it(drop: str, named: str) -> None:
    claims = claims_of(make_facts())
    del claims[drop]
    assert claims_problem(claims) == f"令牌缺少：{named}"


def test_a_payload_with_several_claims_missing_names_each() -> None:
    assert claims_problem({"no": "S000134000123264000017"}) == (
        "令牌缺少：姓名、证件号码、职业（工种）、职业技能等级、评价机构、发证日期"
    )


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"no": 17}, "令牌缺少：证书编号"),  # a number, not a string
        ({"dt": "2026-13-01"}, "令牌的发证日期无效"),
        ({"dt": "昨天"}, "令牌的发证日期无效"),
        ({"st": [1]}, "令牌的状态列表条目无效"),
        ({"st": [1, -1]}, "令牌的状态列表条目无效"),
        ({"st": [True, 3]}, "令牌的状态列表条目无效"),
        ({"st": ["1", "3"]}, "令牌的状态列表条目无效"),
        ({"st": {"list": 1}}, "令牌的状态列表条目无效"),
    ],
)
def test_a_payload_with_a_claim_out_of_shape_says_which(
    change: dict[str, Any], sentence: str
) -> None:
    assert claims_problem({**claims_of(make_facts()), **change}) == sentence


@pytest.mark.parametrize("payload", [None, [], "S000134000123264000017", 17])
def test_a_payload_that_is_not_an_object_is_not_a_certificate(payload: Any) -> None:
    assert claims_problem(payload) == "令牌内容不是证书信息"


# -- the status list ---------------------------------------------------------------------


def _raw(encoded: str) -> bytes:
    """The bitstring decoded by hand, as the specification describes it."""
    assert encoded.startswith("u")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_the_list_is_16_kib_gzip_base64url_multibase_without_padding() -> None:
    encoded = statuslist.encode([])
    assert LIST_BITS == 131_072  # the specification's minimum, for herd privacy
    assert encoded.startswith("u")
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
    assert _raw(encoded) == bytes(LIST_BITS // 8)


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    assert _raw(statuslist.encode([0]))[:2] == b"\x80\x00"
    assert _raw(statuslist.encode([7]))[:2] == b"\x01\x00"
    assert _raw(statuslist.encode([8]))[:2] == b"\x00\x80"
    assert _raw(statuslist.encode([LIST_BITS - 1]))[-1:] == b"\x01"


def test_the_specifications_example_list_decodes() -> None:
    # The empty list of the Bitstring Status List v1.0 examples (another gzip encoder).
    example = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
    assert statuslist.decode(example) == bytes(LIST_BITS // 8)
    assert not statuslist.bit_is_set(example, 12345)


def test_encode_then_decode_gives_the_same_bits() -> None:
    revoked = {0, 1, 15, 16, 1000, 65_537, LIST_BITS - 1}
    encoded = statuslist.encode(revoked)
    data = statuslist.decode(encoded)
    found = {i for i in range(LIST_BITS) if data[i // 8] & (0x80 >> (i % 8))}
    assert found == revoked
    for index in (0, 16, LIST_BITS - 1):
        assert statuslist.bit_is_set(encoded, index)
    for index in (2, 14, 17, 999, LIST_BITS - 2):
        assert not statuslist.bit_is_set(encoded, index)
    assert statuslist.encode(sorted(revoked)) == encoded  # deterministic: caches compare


@pytest.mark.parametrize("index", [-1, LIST_BITS])
def test_a_bit_outside_the_list_cannot_be_set(index: int) -> None:
    with pytest.raises(ValueError):
        statuslist.encode([index])


def test_a_bit_outside_the_list_cannot_be_read() -> None:
    with pytest.raises(StatusListInvalid):
        statuslist.bit_is_set(statuslist.encode([]), LIST_BITS)


@pytest.mark.parametrize(
    ("certificate_id", "position"),
    [(1, (1, 0)), (2, (1, 1)), (LIST_BITS, (1, LIST_BITS - 1)), (LIST_BITS + 1, (2, 0))],
)
def test_each_certificate_has_its_own_bit(certificate_id: int, position: tuple[int, int]) -> None:
    assert statuslist.list_position(certificate_id) == position


def test_certificate_ids_start_at_one() -> None:
    with pytest.raises(ValueError):
        statuslist.list_position(0)


def _packed(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(data, mtime=0)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "z" + statuslist.encode([])[1:],  # base58 multibase: not what the spec allows
        statuslist.encode([])[1:],  # no multibase prefix
        "u!!!!",
        "u中文",
        "u" + base64.urlsafe_b64encode(b"not gzip at all").decode(),
        statuslist.encode([])[:40],  # truncated
        _packed(bytes(LIST_BITS + 1)),  # inflates beyond 8 lists' worth
        _packed(bytes(16 * 2**20)),  # a gzip bomb: 16 MiB from some 16 KiB
        _packed(b"\x00" * 100),  # shorter than the specification's minimum
    ],
)
def test_a_hostile_or_garbled_list_is_refused(hostile: str) -> None:
    with pytest.raises(StatusListInvalid):
        statuslist.bit_is_set(hostile, 0)


# -- the Open Badges 3.0 credential ------------------------------------------------------


def test_the_credential_has_the_vc_2_and_open_badges_3_shape() -> None:
    facts = make_facts()
    badge = credentials.open_badge(facts, base_url=BASE_URL, issuer_code="C0001")
    assert badge["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert any("purl.imsglobal.org/spec/ob/v3p0/context" in c for c in badge["@context"])
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(badge["type"])
    assert badge["id"].startswith("https://")
    assert badge["name"]
    issuer = badge["issuer"]
    assert issuer["id"].startswith(BASE_URL) and "Profile" in issuer["type"]
    assert issuer["name"] == "安徽技评职业技能鉴定中心"
    # XML Schema dateTime with a time zone, on the issue date
    assert datetime.strptime(badge["validFrom"], "%Y-%m-%dT%H:%M:%SZ").date() == date(2026, 5, 20)
    subject = badge["credentialSubject"]
    assert "AchievementSubject" in subject["type"]
    for identity in subject["identifier"]:
        assert identity["type"] == "IdentityObject"
        assert {"identityType", "hashed", "identityHash"} <= set(identity)
    achievement = subject["achievement"]
    assert "Achievement" in achievement["type"]
    for required in ("id", "name", "description", "criteria"):
        assert achievement[required], required
    assert "电工" in achievement["name"] and "四级/中级工" in achievement["name"]


def test_the_credential_names_the_holder_but_never_the_full_id_number() -> None:
    badge = credentials.open_badge(make_facts(), base_url=BASE_URL, issuer_code="C0001")
    text = json.dumps(badge, ensure_ascii=False)
    assert RESIDENT_ID not in text
    hashes = {i["identityHash"] for i in badge["credentialSubject"]["identifier"]}
    assert hashes == {"张晓梅", "340" + "*" * 11 + "1235"}


def test_the_credentials_status_entry_points_at_its_bit_in_the_status_list() -> None:
    facts = make_facts(status_list=2, status_index=4242)
    entry = credentials.open_badge(facts, base_url=BASE_URL, issuer_code="C0001")[
        "credentialStatus"
    ]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"] == "4242"  # a string holding an integer, per the spec
    listed = credentials.status_list(
        base_url=BASE_URL,
        list_no=2,
        encoded=statuslist.encode([4242]),
        issuer_name="安徽技评职业技能鉴定中心",
        now=datetime(2026, 6, 1, 8, 0),
    )
    assert entry["statusListCredential"] == listed["id"]
    assert entry["id"] != entry["statusListCredential"]
    assert {"VerifiableCredential", "BitstringStatusListCredential"} <= set(listed["type"])
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == entry["statusPurpose"]
    assert statuslist.bit_is_set(subject["encodedList"], int(entry["statusListIndex"]))
    assert listed["validFrom"] == "2026-06-01T08:00:00Z"


# -- signing and keys --------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A deployment with its own data directory and no keys given by the environment."""
    monkeypatch.setenv("JIPING_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("JIPING_SIGNING_KEYS", raising=False)
    get_settings.cache_clear()
    keys._loaded.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    keys._loaded.cache_clear()


def _restart() -> None:
    keys._loaded.cache_clear()


def _another_deployments_keys() -> SigningKeys:
    return SigningKeys((OKPKey.generate_key("Ed25519"),))


def _pyjwt_decode(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify as an employer's system would: PyJWT, the published JWKS, EdDSA only."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid].key
    return dict(jwt.decode(token, key=key, algorithms=["EdDSA"]))


def test_the_first_start_writes_a_private_key_only_its_owner_can_read(data_dir: Path) -> None:
    kid = signing_keys().current_kid
    files = list((data_dir / "keys").glob("key-*.json"))
    assert [f.name for f in files] == ["key-0001.json"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    _restart()
    assert signing_keys().current_kid == kid  # a restart keeps the key: old QR codes verify


def test_the_published_jwks_holds_no_private_key(data_dir: Path) -> None:
    jwks = signing_keys().public_jwks()
    assert jwks["keys"]
    for key in jwks["keys"]:
        assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
        assert key["alg"] == "EdDSA" and key["use"] == "sig" and key["kid"]
        assert "d" not in key


def test_a_signed_token_verifies_here_and_with_pyjwt(data_dir: Path) -> None:
    claims = claims_of(make_facts())
    token = signing.sign(claims, signing_keys())
    checked = signing.verify(token, signing_keys().key_set())
    assert checked.payload == claims
    assert checked.kid == signing_keys().current_kid
    assert checked.header["alg"] == "EdDSA"
    assert _pyjwt_decode(token, signing_keys().public_jwks()) == claims


def test_the_verifiable_credential_verifies_with_pyjwt(data_dir: Path) -> None:
    badge = credentials.open_badge(make_facts(), base_url=BASE_URL, issuer_code="C0001")
    token = signing.sign(badge, signing_keys(), typ=credentials.VC_JWT_TYPE, cty="vc")
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "vc+jwt" and header["alg"] == "EdDSA"
    assert _pyjwt_decode(token, signing_keys().public_jwks()) == badge


def test_any_one_character_change_fails_and_never_verifies(data_dir: Path) -> None:
    token = signing.sign(claims_of(make_facts()), signing_keys())
    key_set = signing_keys().key_set()
    head, body, _ = token.split(".")
    ends = {len(head) - 1, len(head) + len(body), len(token) - 1}  # last char of each part
    codes: dict[str, set[str]] = {"header": set(), "payload": set(), "signature": set()}
    for i, char in enumerate(token):
        if char == ".":
            continue
        part = (
            "header" if i < len(head) else "payload" if i <= len(head) + len(body) else "signature"
        )
        # Within the base64url alphabet, flip the character's highest bit, then its lowest.
        value = B64URL.index(char)
        for other in (B64URL[value ^ 0b100000], B64URL[value ^ 1]):
            changed = token[:i] + other + token[i + 1 :]
            with pytest.raises(TokenInvalid) as refused:
                signing.verify(changed, key_set)
            if i in ends and refused.value.code == "malformed":
                continue  # the last character's unused bits set: not base64url at all
            codes[part].add(refused.value.code)
    assert codes["payload"] == {"bad_signature"}
    assert codes["signature"] == {"bad_signature"}
    assert codes["header"] <= {"bad_signature", "malformed", "unknown_key", "bad_algorithm"}


def test_a_token_signed_by_another_deployment_names_an_unknown_key(data_dir: Path) -> None:
    forged = signing.sign(claims_of(make_facts()), _another_deployments_keys())
    with pytest.raises(TokenInvalid) as refused:
        signing.verify(forged, signing_keys().key_set())
    assert refused.value.code == "unknown_key"


def test_a_token_signed_by_another_key_under_our_kid_has_a_bad_signature(data_dir: Path) -> None:
    ours = signing_keys().current_kid
    impostor = OKPKey.import_key(
        {**OKPKey.generate_key("Ed25519").as_dict(private=True), "kid": ours}
    )
    forged = signing.sign(claims_of(make_facts()), SigningKeys((impostor,)))
    assert jwt.get_unverified_header(forged)["kid"] == ours
    with pytest.raises(TokenInvalid) as refused:
        signing.verify(forged, signing_keys().key_set())
    assert refused.value.code == "bad_signature"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_with_another_algorithm_is_refused(data_dir: Path) -> None:
    kid = signing_keys().current_kid
    claims = claims_of(make_facts())
    unsigned = f"{_b64({'alg': 'none', 'kid': kid})}.{_b64(claims)}."
    # HS256 keyed with the public key: the classic algorithm-confusion forgery.
    public_x = signing_keys().public_jwks()["keys"][0]["x"]
    hmac = jwt.encode(claims, public_x, algorithm="HS256", headers={"kid": kid})
    for forged in (unsigned, hmac):
        with pytest.raises(TokenInvalid) as refused:
            signing.verify(forged, signing_keys().key_set())
        assert refused.value.code == "bad_algorithm"


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "abc", "a.b", "a.b.c", "..", "中.文.字", "x" * 5000, "a.b.c.d.e", "eyJ.eyJ.AAAA"],
)
def test_garbage_is_malformed_not_an_error(data_dir: Path, garbage: str) -> None:
    with pytest.raises(TokenInvalid) as refused:
        signing.verify(garbage, signing_keys().key_set())
    assert refused.value.code == "malformed"
    assert refused.value.message  # a sentence a person reads


def test_a_token_without_a_key_id_is_refused(data_dir: Path) -> None:
    current = signing_keys().current
    unnamed = OKPKey.import_key(
        {k: v for k, v in current.as_dict(private=True).items() if k != "kid"}
    )
    token = jws.serialize_compact({"alg": "EdDSA"}, b'{"no":"x"}', unnamed, algorithms=["EdDSA"])
    with pytest.raises(TokenInvalid) as refused:
        signing.verify(token, signing_keys().key_set())
    assert refused.value.code == "unknown_key"


def test_rotation_signs_with_the_new_key_and_old_tokens_still_verify(data_dir: Path) -> None:
    claims = claims_of(make_facts())
    old_kid = signing_keys().current_kid
    old_token = signing.sign(claims, signing_keys())

    new_kid = keys.rotate()
    assert new_kid != old_kid
    assert signing_keys().current_kid == new_kid
    new_token = signing.sign(claims, signing_keys())
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid

    _restart()  # another instance, or the next start, reading the same data directory
    jwks = signing_keys().public_jwks()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]  # current first
    for token in (old_token, new_token):
        assert signing.verify(token, signing_keys().key_set()).payload == claims
        assert _pyjwt_decode(token, jwks) == claims  # offline, from the published JWKS
    assert sorted(p.name for p in (data_dir / "keys").iterdir()) == [
        "key-0001.json",
        "key-0002.json",
    ]


def test_keys_given_by_the_environment_must_be_private(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = OKPKey.generate_key("Ed25519")
    monkeypatch.setenv("JIPING_SIGNING_KEYS", json.dumps({"keys": [key.as_dict(private=False)]}))
    _restart()
    with pytest.raises(KeysUnavailable):
        signing_keys()
    monkeypatch.setenv("JIPING_SIGNING_KEYS", json.dumps({"keys": [key.as_dict(private=True)]}))
    _restart()
    assert signing_keys().current_kid == keys.kid_of(key)
    assert not (data_dir / "keys").exists()  # nothing written when the environment gives it
    with pytest.raises(KeysUnavailable):
        keys.rotate()


@pytest.mark.parametrize(
    "jwks",
    [
        [],
        {"keys": "none"},
        {"keys": []},
        {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]},
        {"keys": [{"kty": "OKP", "crv": "X25519", "x": "AAAA"}]},
    ],
)
def test_a_jwks_without_an_ed25519_key_is_refused(jwks: Any) -> None:
    with pytest.raises(KeysUnavailable):
        key_set_of(jwks)


def test_a_verifier_keeps_only_public_parts_of_a_jwks(data_dir: Path) -> None:
    private = signing_keys().current.as_dict(private=True)
    key_set = key_set_of({"keys": [private]})
    assert all("d" not in k.as_dict(private=False) for k in key_set.keys)
    assert all(not k.is_private for k in key_set.keys)
    token = signing.sign({"no": "x"}, signing_keys())
    assert signing.verify(token, key_set).payload == {"no": "x"}

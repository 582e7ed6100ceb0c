from datetime import UTC, datetime

import pytest
from pypitoken.restrictions import Restriction

from cheeseshop.accounts.models import User
from cheeseshop.packaging.models import Project
from cheeseshop.tokens.caveats import (
    Expiration,
    Failure,
    MalformedCaveatError,
    ProjectID,
    ProjectName,
    RequestUser,
    Success,
    VerificationContext,
    deserialize_caveat,
    parse_caveat,
    serialize_caveat,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())


def context(*, user_id: int = 5, project: Project | None = None, now: datetime = NOW):
    # Unsaved instances: caveats only read attributes, never the database.
    return VerificationContext(user=User(pk=user_id), project=project, now=now)


def project(name: str = "my-project", pk: int = 7) -> Project:
    return Project(pk=pk, name=name, normalized_name=name.lower())


# -- Expiration


def test_expiration_passes_inside_its_window():
    caveat = Expiration(expires_at=NOW_TS + 60, not_before=NOW_TS - 60)
    assert caveat.verify(context()) == Success()


def test_expiration_includes_not_before():
    assert Expiration(expires_at=NOW_TS + 1, not_before=NOW_TS).verify(context())


def test_expiration_fails_at_expires_at():
    result = Expiration(expires_at=NOW_TS, not_before=NOW_TS - 60).verify(context())
    assert result == Failure("token is expired")


def test_expiration_fails_before_not_before():
    result = Expiration(expires_at=NOW_TS + 120, not_before=NOW_TS + 60).verify(context())
    assert result == Failure("token is not yet valid")


# -- ProjectName


def test_project_name_passes_for_a_listed_project():
    assert ProjectName(["other", "my-project"]).verify(context(project=project()))


def test_project_name_fails_for_an_unlisted_project():
    result = ProjectName(["other"]).verify(context(project=project()))
    assert result == Failure("project-scoped token is not valid for project: 'my-project'")


def test_project_name_fails_when_the_upload_would_create_a_project():
    result = ProjectName(["my-project"]).verify(context(project=None))
    assert result == Failure("project-scoped token cannot create a new project")


def test_project_name_compares_names_normalized():
    # pypitoken writes names as the user typed them.
    assert ProjectName(["My_Project"]).verify(context(project=project()))


def test_project_name_with_no_names_allows_no_project():
    assert not ProjectName([]).verify(context(project=project()))


# -- ProjectID


def test_project_id_passes_for_a_listed_id():
    assert ProjectID(["3", "7"]).verify(context(project=project(pk=7)))


def test_project_id_fails_for_an_unlisted_id():
    result = ProjectID(["3"]).verify(context(project=project(pk=7)))
    assert result == Failure("project-scoped token is not valid for project: 'my-project'")


def test_project_id_fails_when_the_upload_would_create_a_project():
    result = ProjectID(["7"]).verify(context(project=None))
    assert result == Failure("project-scoped token cannot create a new project")


def test_project_id_reads_integer_ids_as_strings():
    assert ProjectID([7]).project_ids == ("7",)


# -- RequestUser


def test_request_user_passes_for_its_user():
    assert RequestUser("5").verify(context(user_id=5))


def test_request_user_fails_for_another_user():
    assert RequestUser("5").verify(context(user_id=6)) == Failure("token is for another user")


def test_request_user_stores_an_integer_id_as_a_string():
    assert RequestUser(5) == RequestUser("5")
    assert serialize_caveat(RequestUser(5)) == '[3,"5"]'


# -- wire format


@pytest.mark.parametrize(
    ("caveat", "wire"),
    [
        (Expiration(expires_at=200, not_before=100), "[0,200,100]"),
        (ProjectName(["a", "b-c"]), '[1,["a","b-c"]]'),
        (ProjectID(["12"]), '[2,["12"]]'),
        (RequestUser("5"), '[3,"5"]'),
    ],
)
def test_caveat_serializes_to_pypi_format_and_back(caveat, wire):
    assert serialize_caveat(caveat) == wire
    assert deserialize_caveat(wire) == caveat


def test_deserialize_accepts_whitespace_as_python_json_writes_it():
    assert deserialize_caveat('[1, ["a"]]') == ProjectName(["a"])


def test_caveats_are_immutable():
    caveat = ProjectName(["a"])
    with pytest.raises(AttributeError):
        caveat.normalized_names = ("b",)


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("not json", "caveat is not valid JSON"),
        ("[0, NaN, 1]", "caveat is not valid JSON"),
        ("[" * 100_000, "caveat is not valid JSON"),
        ('"a string"', "caveat must be a JSON array"),
        ("42", "caveat must be a JSON array"),
        ("[]", "caveat array is empty"),
        ("[99]", "caveat has an unknown tag: 99"),
        ('[4, "publisher-id"]', "caveat has an unknown tag: 4"),
        ('["0", 1, 2]', 'caveat has an unknown tag: "0"'),
        ("[true, 1]", "caveat has an unknown tag: true"),
        ("[0, 1]", "Expiration caveat has too few fields"),
        ("[0, 1, 2, 3]", "Expiration caveat has more fields than this index understands"),
        ('[0, "1", 2]', "caveat field 'expires_at' must be an integer"),
        ("[0, true, 2]", "caveat field 'expires_at' must be an integer"),
        ("[0, 1, 2.5]", "caveat field 'not_before' must be an integer"),
        ('[1, "abc"]', "caveat field 'normalized_names' must be a list of strings"),
        ("[1, [1]]", "caveat field 'normalized_names' must be a list of strings"),
        ('[1, ["a"], "b"]', "ProjectName caveat has more fields than this index understands"),
        ('[2, "12"]', "caveat field 'project_ids' must be a list of strings"),
        ("[2, [null]]", "caveat field 'project_ids' must be a string"),
        ("[2, [true]]", "caveat field 'project_ids' must be a string"),
        ("[3, null]", "caveat field 'user_id' must be a string"),
        ("[3]", "RequestUser caveat has too few fields"),
        ("{}", "caveat is an object of an unknown legacy format"),
        ('{"exp": 1}', "caveat is an object of an unknown legacy format"),
        ('{"exp": 2, "nbf": 1, "scope": "x"}', "caveat is an object of an unknown legacy format"),
        ('{"exp": 2, "exp": 3, "nbf": 1}', "caveat repeats a key"),
        ('{"version": 2, "permissions": "user"}', "legacy caveat has an unknown version"),
        ('{"version": true, "permissions": "user"}', "legacy caveat has an unknown version"),
        ('{"version": 1.0, "permissions": "user"}', "legacy caveat has an unknown version"),
        ('{"version": 1, "permissions": "admin"}', "legacy caveat has unknown permissions"),
        (
            '{"version": 1, "permissions": {"projects": ["a"], "x": 1}}',
            "legacy caveat has unknown permissions",
        ),
        ('{"version": 1, "permissions": "user", "x": 1}', "legacy caveat has unexpected keys"),
        (
            '{"version": 1, "permissions": {"projects": "a"}}',
            "caveat field 'normalized_names' must be a list of strings",
        ),
        ('{"exp": "2", "nbf": 1}', "caveat field 'expires_at' must be an integer"),
    ],
)
def test_malformed_caveat_is_refused_with_its_reason(wire, reason):
    with pytest.raises(MalformedCaveatError) as excinfo:
        deserialize_caveat(wire, legacy_user_id=5)
    assert excinfo.value.message == reason


def test_constructor_refuses_wrong_types():
    with pytest.raises(MalformedCaveatError):
        Expiration(expires_at="soon", not_before=0)


# Every numeric field of every caveat, out of range; every list, too long; every string, too long.
OUT_OF_BOUNDS_CAVEATS = [
    ("[0, 4611686018427387904, 0]", "expires_at", "Unix timestamp"),
    ("[0, 253402300800, 0]", "expires_at", "Unix timestamp"),
    ("[0, -1, 0]", "expires_at", "Unix timestamp"),
    ("[0, 2000000000, 4611686018427387904]", "not_before", "Unix timestamp"),
    ("[0, 2000000000, -4611686018427387904]", "not_before", "Unix timestamp"),
    ('{"exp": 4611686018427387904, "nbf": 0}', "expires_at", "Unix timestamp"),
    ('{"exp": 2000000000, "nbf": -1}', "not_before", "Unix timestamp"),
    ("[0, 1e308, 0]", "expires_at", "must be an integer"),
    ("[2, [9223372036854775808]]", "project_ids", "must be an id"),
    ("[2, [-1]]", "project_ids", "must be an id"),
    ('{"project_ids": [18446744073709551616]}', "project_ids", "must be an id"),
    ("[3, 9223372036854775808]", "user_id", "must be an id"),
    ("[3, -5]", "user_id", "must be an id"),
    ("[1, [" + ",".join(['"a"'] * 1001) + "]]", "normalized_names", "lists more than 1000"),
    ("[2, [" + ",".join(["1"] * 1001) + "]]", "project_ids", "lists more than 1000"),
    (
        '{"version": 1, "permissions": {"projects": [' + ",".join(['"a"'] * 1001) + "]}}",
        "normalized_names",
        "lists more than 1000",
    ),
    ('[1, ["' + "a" * 201 + '"]]', "normalized_names", "longer than 200"),
    ('[2, ["' + "1" * 201 + '"]]', "project_ids", "longer than 200"),
    ('[3, "' + "1" * 201 + '"]', "user_id", "longer than 200"),
]


@pytest.mark.parametrize(("wire", "field", "rule"), OUT_OF_BOUNDS_CAVEATS)
def test_a_caveat_out_of_bounds_is_refused_naming_its_field(wire, field, rule):
    with pytest.raises(MalformedCaveatError) as excinfo:
        deserialize_caveat(wire, legacy_user_id=5)
    assert f"'{field}'" in excinfo.value.message
    assert rule in excinfo.value.message


@pytest.mark.parametrize("wire", ["[0, " + "9" * 5000 + ", 0]", "[3, " + "1" * 5000 + "]"])
def test_an_integer_of_more_digits_than_python_reads_is_not_valid_json(wire):
    with pytest.raises(MalformedCaveatError) as excinfo:
        deserialize_caveat(wire)
    assert excinfo.value.message == "caveat is not valid JSON"


def test_the_bounds_themselves_are_accepted():
    assert deserialize_caveat("[0, 253402300799, 0]") == Expiration(253402300799, 0)
    assert deserialize_caveat("[2, [9223372036854775807]]") == ProjectID(("9223372036854775807",))
    assert len(deserialize_caveat("[1, [" + ",".join(['"a"'] * 1000) + "]]").normalized_names) == (
        1000
    )


# -- legacy V1 formats


def test_legacy_user_permission_restricts_to_the_token_user():
    caveat = deserialize_caveat('{"version": 1, "permissions": "user"}', legacy_user_id=5)
    assert caveat == RequestUser("5")


def test_legacy_user_permission_without_the_token_user_is_refused():
    with pytest.raises(MalformedCaveatError):
        deserialize_caveat('{"version": 1, "permissions": "user"}')


def test_legacy_project_permission_is_a_project_name_caveat():
    caveat = deserialize_caveat('{"version": 1, "permissions": {"projects": ["a", "b"]}}')
    assert caveat == ProjectName(["a", "b"])


def test_legacy_expiry_is_an_expiration_caveat():
    assert deserialize_caveat('{"exp": 200, "nbf": 100}') == Expiration(200, 100)


def test_legacy_project_ids_is_a_project_id_caveat():
    assert deserialize_caveat('{"project_ids": ["12"]}') == ProjectID(["12"])


def test_parse_caveat_reads_decoded_json_values():
    assert parse_caveat([1, ["a"]]) == ProjectName(["a"])


# -- every form pypitoken writes


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"not_before": 100, "not_after": 200}, Expiration(expires_at=200, not_before=100)),
        (
            {
                "not_before": datetime(2025, 1, 1, tzinfo=UTC),
                "not_after": datetime(2026, 1, 1, tzinfo=UTC),
            },
            Expiration(expires_at=1767225600, not_before=1735689600),
        ),
        ({"project_names": ["a", "b"]}, ProjectName(["a", "b"])),
        ({"project_names": ["My.Project"]}, ProjectName(["My.Project"])),
        ({"project_ids": ["12"]}, ProjectID(["12"])),
        ({"project_ids": [12]}, ProjectID(["12"])),
        ({"user_id": "5"}, RequestUser("5")),
        ({"user_id": 5}, RequestUser("5")),
        ({"legacy_noop": True}, RequestUser("5")),
        ({"legacy_project_names": ["a"]}, ProjectName(["a"])),
        ({"legacy_not_before": 100, "legacy_not_after": 200}, Expiration(200, 100)),
    ],
)
def test_every_restriction_pypitoken_writes_is_understood(parameters, expected):
    (restriction,) = Restriction.restrictions_from_parameters(**parameters)
    assert deserialize_caveat(restriction.dump_json(), legacy_user_id=5) == expected

import pytest

from cheeseshop.packaging.errors import ProjectNameTaken, UploadRejected
from cheeseshop.packaging.models import ProhibitedProjectName, Project
from cheeseshop.packaging.names import (
    check_new_project_name,
    is_stdlib_name,
    normalize_name,
    ultranormalize_name,
    validate_project_name,
)


def make_project(name: str) -> Project:
    return Project.objects.create(
        name=name,
        normalized_name=normalize_name(name),
        ultranormalized_name=ultranormalize_name(name),
    )


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Django", "django"),
        ("zope.interface", "zope-interface"),
        ("Foo__Bar--baz..Qux", "foo-bar-baz-qux"),
        ("a-_.b", "a-b"),
    ],
)
def test_normalize_name_follows_pep_503(name, normalized):
    assert normalize_name(name) == normalized


@pytest.mark.parametrize(
    ("name", "ultranormalized"),
    [
        ("Foo-Bar", "f00bar"),
        ("pillow", "p1110w"),
        ("PIL.low", "p1110w"),
        ("I-O_l", "101"),
    ],
)
def test_ultranormalize_name_drops_separators_and_folds_lookalikes(name, ultranormalized):
    assert ultranormalize_name(name) == ultranormalized


@pytest.mark.parametrize("name", ["a", "A1", "foo.bar-baz_qux", "9lives"])
def test_validate_project_name_accepts_pep_508_names(name):
    validate_project_name(name)


@pytest.mark.parametrize(
    "name", ["", "-foo", "foo-", "foo bar", "föö", "foo/bar", ".foo", "foo\n", "foo!"]
)
def test_validate_project_name_refuses_invalid_syntax(name):
    with pytest.raises(UploadRejected) as excinfo:
        validate_project_name(name)
    assert excinfo.value.message == f"The name '{name}' is invalid."


@pytest.mark.parametrize("name", ["os", "OS", "os.path", "os-path", "asyncio", "_thread", "xml"])
def test_is_stdlib_name_matches_modules_and_namespaces(name):
    assert is_stdlib_name(name)


def test_is_stdlib_name_includes_modules_removed_from_newer_pythons():
    # distutils left the standard library in 3.12; its name stays taken.
    assert is_stdlib_name("distutils")


def test_is_stdlib_name_includes_parent_namespace_of_a_submodule():
    # "concurrent" exists only as the parent of concurrent.futures.
    assert is_stdlib_name("concurrent")


@pytest.mark.parametrize("name", ["requests", "django", "os2", "pathlib3"])
def test_is_stdlib_name_allows_other_names(name):
    assert not is_stdlib_name(name)


@pytest.mark.django_db
def test_check_new_project_name_accepts_a_free_name():
    make_project("requests")
    check_new_project_name("brand-new-project")


@pytest.mark.django_db
def test_check_new_project_name_refuses_invalid_syntax_first():
    with pytest.raises(UploadRejected) as excinfo:
        check_new_project_name("no spaces")
    assert excinfo.value.message == "The name 'no spaces' is invalid."


@pytest.mark.django_db
def test_check_new_project_name_refuses_stdlib_module():
    with pytest.raises(UploadRejected) as excinfo:
        check_new_project_name("Os.Path")
    assert excinfo.value.message == (
        "The name 'Os.Path' isn't allowed (conflict with Python Standard Library module name)."
    )


@pytest.mark.django_db
def test_check_new_project_name_refuses_existing_project_as_a_conflict():
    make_project("Foo_Bar")
    with pytest.raises(ProjectNameTaken) as excinfo:
        check_new_project_name("foo.bar")
    assert excinfo.value.message == "The name 'foo.bar' conflicts with an existing project."


@pytest.mark.django_db
def test_check_new_project_name_refuses_prohibited_name():
    ProhibitedProjectName.objects.create(name="reserved-name")
    with pytest.raises(UploadRejected) as excinfo:
        check_new_project_name("Reserved_Name")
    assert excinfo.value.message == "The name 'Reserved_Name' isn't allowed."


@pytest.mark.django_db
def test_check_new_project_name_refuses_too_similar_name_and_names_the_project():
    make_project("pillow")
    with pytest.raises(UploadRejected) as excinfo:
        check_new_project_name("PIL-low")
    assert excinfo.value.message == (
        "The name 'PIL-low' is too similar to the existing project 'pillow'."
    )

"""What the admin calls a role or an invitation: a sentence in the reader's language."""

from django.utils import translation

from cheeseshop.accounts.models import User
from cheeseshop.index.models import SimpleDetailPage
from cheeseshop.packaging.models import Project, Role, RoleInvitation, RoleName
from cheeseshop.tuf.models import TufRepository


def _role(model=Role):
    return model(
        user=User(username="alice"), project=Project(name="brie-parser"), role_name=RoleName.OWNER
    )


def test_a_role_is_named_in_english_by_default():
    assert str(_role()) == "alice, Owner of brie-parser"
    assert str(_role(RoleInvitation)) == "alice, invited as Owner of brie-parser"


def test_a_role_is_named_in_the_readers_language():
    with translation.override("fr"):
        names = [str(_role()), str(_role(RoleInvitation))]
    for name in names:
        assert "Propriétaire" in name
        assert "Owner" not in name
        assert "alice" in name
        assert "brie-parser" in name


def test_the_tuf_repository_counts_its_bins():
    assert str(TufRepository(bit_length=1)) == "TUF repository (2 bins)"
    assert str(TufRepository(bit_length=0)) == "TUF repository (1 bin)"


def test_stored_index_pages_name_their_project_and_serial():
    page = SimpleDetailPage(project_id=7, serial=42)
    assert str(page) == "simple pages of project 7 at serial 42"

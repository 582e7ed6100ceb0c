"""Upload refusals speak the language the client asks for with Accept-Language, and English
to a client that asks for none (twine); the status line carries ISO-8859-1 only."""

from django.utils import translation

from tests.packaging.dists import make_wheel
from tests.upload.conftest import basic_auth, upload_form

REFUSAL = "Invalid or non-existent authentication information."


def _refused_upload(client, tmp_path, **headers):
    return client.post("/legacy/", upload_form(make_wheel(tmp_path), "example", "1.0"), **headers)


def test_a_refusal_without_accept_language_is_in_english(client, db, tmp_path):
    response = _refused_upload(client, tmp_path)
    assert response.status_code == 403
    assert response.reason_phrase == REFUSAL
    assert response.content.decode() == REFUSAL + "\n"


def test_a_refusal_to_a_french_client_is_in_french(client, db, tmp_path):
    response = _refused_upload(client, tmp_path, HTTP_ACCEPT_LANGUAGE="fr")
    french = "Informations d'authentification non valides ou inexistantes."
    assert response.status_code == 403
    assert response.reason_phrase == french
    assert response.content.decode() == french + "\n"


def test_a_japanese_refusal_keeps_an_iso_8859_1_reason_phrase(client, db, tmp_path):
    response = _refused_upload(client, tmp_path, HTTP_ACCEPT_LANGUAGE="ja")
    with translation.override("ja"):
        japanese = translation.gettext(REFUSAL)
    assert response.content.decode("utf-8") == japanese + "\n"
    response.reason_phrase.encode("latin-1")
    assert "?" not in response.reason_phrase
    assert response.reason_phrase in {japanese, "Forbidden"}


def test_a_reason_beyond_iso_8859_1_is_the_statuss_english_phrase(client, token, tmp_path):
    form = upload_form(make_wheel(tmp_path), "example", "1.0", **{":action": "上传"})
    response = client.post("/legacy/", form, headers={"Authorization": basic_auth(token)})
    assert response.status_code == 400
    assert response.reason_phrase == "Bad Request"
    assert "上传" in response.content.decode("utf-8")

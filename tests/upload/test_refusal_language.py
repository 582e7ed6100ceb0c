from django.utils import translation


def test_probe(client, db):
    r = client.post("/legacy/", {}, HTTP_ACCEPT_LANGUAGE="fr")
    print(r.status_code, r.reason_phrase, r.content.decode())
    r = client.get("/legacy/", HTTP_ACCEPT_LANGUAGE="fr")
    print(r.status_code, r.reason_phrase, r.content.decode())
    r = client.post("/legacy", {}, HTTP_ACCEPT_LANGUAGE="fr")
    print(r.status_code, r.reason_phrase, r.content.decode())
    with translation.override("fr"):
        print(translation.gettext("Invalid or non-existent authentication information."))

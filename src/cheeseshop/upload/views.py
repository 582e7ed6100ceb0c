"""``POST /legacy/``: the upload API that twine and ``uv publish`` speak.

The view only sequences the steps; each lives where it belongs: authentication in
``cheeseshop.tokens``, form parsing in ``forms``, streaming and hashing in ``receiving``, the
rules in ``cheeseshop.packaging`` (filenames, archives, metadata, names), and persistence with
its audit events in ``cheeseshop.packaging.services``.
"""

import hmac
import logging
import re
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cheeseshop.accounts.services import (
    has_two_factor,
    two_factor_enforced,
)
from cheeseshop.accounts.two_factor import upload_refusal_message
from cheeseshop.errors import (
    Conflict,
    Disabled,
    Gone,
    NotAuthenticated,
    NotPermitted,
    Refused,
    TooMany,
    kind_of,
)
from cheeseshop.flags.services import ensure_uploads_allowed
from cheeseshop.inputs import reads_its_own_body
from cheeseshop.packaging import filenames, metadata, services
from cheeseshop.packaging.archives import check_license_files, inspect_distribution
from cheeseshop.packaging.errors import UploadRejected
from cheeseshop.packaging.models import PackageType
from cheeseshop.packaging.names import normalize_name
from cheeseshop.site import absolute_url
from cheeseshop.tokens.services import (
    AuthenticatedToken,
    authenticate_token,
    check_upload_permission,
    record_token_use,
    token_credential,
    token_from_authorization,
)
from cheeseshop.upload.forms import (
    UploadForm,
    check_field_sizes,
    form_field,
    parse_upload_form,
)
from cheeseshop.upload.receiving import HashingUploadHandler, ReceivedFile, UploadParser
from cheeseshop.upload.signals import upload_answered

logger = logging.getLogger(__name__)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


# The legacy protocol's status for each kind of refusal (PyPI's, where it has one).
STATUS_BY_KIND = (
    (NotAuthenticated, 403),
    (NotPermitted, 403),
    (Disabled, 403),
    (Conflict, 409),
    (Gone, 410),
    (TooMany, 429),
    (Refused, 400),
)


def status_of(refusal: Refused) -> int:
    return next(status for kind, status in STATUS_BY_KIND if isinstance(refusal, kind))


def _reason_phrase(message: str, status: int) -> str:
    """The status line's reason phrase, which twine prints: the message when it travels in
    ISO-8859-1 (English, French, German...), else the status's English phrase ("Forbidden"):
    never a message turned to question marks."""
    reason = " ".join(message.split())
    try:
        reason.encode("latin-1")
    except UnicodeEncodeError:
        return HTTPStatus(status).phrase
    # A message may quote what was sent; a control character would break the status line.
    return _CONTROL_CHARACTERS.sub("?", reason)


def _response(message: str, status: int) -> HttpResponse:
    """The legacy protocol's error: the message in the reason phrase and in the body (UTF-8),
    in the language the client asked for with Accept-Language (twine asks for none: English)."""
    return HttpResponse(
        message + "\n",
        status=status,
        reason=_reason_phrase(message, status),
        content_type="text/plain; charset=utf-8",
    )


def legacy_redirect(request: HttpRequest) -> HttpResponse:
    response = _response(
        _(
            "An upload was attempted to /legacy but the expected upload URL is /legacy/ "
            "(with a trailing slash)"
        ),
        308,
    )
    response["Location"] = absolute_url("/legacy/")
    return response


@csrf_exempt
@reads_its_own_body  # streamed to disk; the form's fields are checked as they are read
def legacy_upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _response(
            _("This is the upload endpoint: POST distributions to it with twine or uv publish."),
            405,
        )
        response["Allow"] = "POST"
        return response
    try:
        response = _upload(request)
    except Refused as refusal:
        upload_answered.send(sender=legacy_upload, outcome=kind_of(refusal))
        return _response(refusal.message, status_of(refusal))
    upload_answered.send(sender=legacy_upload, outcome="accepted")
    return response


def _authenticate(request: HttpRequest) -> AuthenticatedToken:
    raw = token_from_authorization(request.headers.get("Authorization"))
    if not raw:
        raise NotAuthenticated(_("Invalid or non-existent authentication information."))
    return authenticate_token(raw)


def _read_form(request: HttpRequest, handler: HashingUploadHandler) -> tuple[UploadForm, dict]:
    if request.content_type != "multipart/form-data":
        raise UploadRejected(_("The request is not valid multipart/form-data."))
    try:
        parser = UploadParser(request.META, request, [handler], request.encoding)
        handler.parser = parser
        data, files = parser.parse()
    except RequestDataTooBig:
        raise UploadRejected(
            _("The upload form's fields are larger than %(size)d KiB in all (its file aside).")
            % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024}
        ) from None
    except (MultiPartParserError, SuspiciousOperation):
        raise UploadRejected(_("The request is not valid multipart/form-data.")) from None
    except OSError:  # the body stopped arriving (the server answers 408 for a slow one)
        raise UploadRejected(_("The request body could not be read to its end.")) from None
    check_field_sizes(data)

    action = form_field(data, ":action")
    if action in {"submit", "submit_pkg_info"}:
        raise Gone(
            _(
                "Project pre-registration is no longer required or supported, upload your "
                "files instead."
            )
        )
    if action == "doc_upload":
        raise Gone(_("Uploading documentation is no longer supported; host it elsewhere."))
    if action != "file_upload":
        raise UploadRejected(_("Unknown or missing :action '%(action)s'.") % {"action": action})
    for field in handler.unexpected_file_fields:
        raise UploadRejected(_("%(field)s: Should not be a tuple.") % {"field": field})
    return parse_upload_form(data), files


def _ensure_user_may_upload(user, request: HttpRequest) -> None:
    if not user.has_verified_primary_email():
        raise NotPermitted(
            _(
                "User '%(user)s', associated with the API token used, does not have a verified "
                "primary email address. Verify it in your account settings and try again."
            )
            % {"user": user.username}
        )
    if two_factor_enforced() and not has_two_factor(user):
        raise NotPermitted(upload_refusal_message(user, request))


def _check_permission(auth: AuthenticatedToken, form: UploadForm, request: HttpRequest):
    """Refuse early, before the file is inspected, what the credential may not do."""
    project = services.find_project(form.name)
    check_upload_permission(auth, project)
    if project is not None:
        services.ensure_can_upload(auth.user, project)
    _ensure_user_may_upload(auth.user, request)
    return project


def _received_file(files, handler: HashingUploadHandler, form: UploadForm, project):
    if handler.too_large:
        name = project.name if project is not None else form.name
        raise services.file_too_large(name, services.file_size_limit(project))
    content = files.get("content")
    if content is None:
        raise UploadRejected(_("Upload payload does not have a file."))
    return content


def _check_digests(form: UploadForm, content: ReceivedFile) -> None:
    supplied = [
        (form.md5_digest, content.digests.md5),
        (form.sha256_digest, content.digests.sha256),
        (form.blake2_256_digest, content.digests.blake2_256),
    ]
    for given, computed in supplied:
        if given and not hmac.compare_digest(given, computed):
            raise UploadRejected(
                _("The digest supplied does not match a digest calculated from the uploaded file.")
            )


def _upload(request: HttpRequest) -> HttpResponse:
    if settings.HTTPS and not request.is_secure():
        raise NotPermitted(_("SSL is required."))
    ensure_uploads_allowed()
    auth = _authenticate(request)
    handler = HashingUploadHandler(request, max_size=services.max_upload_size())
    try:
        return _upload_received(request, auth, handler)
    finally:
        handler.close()  # the temporary file is gone when the answer leaves, whatever it is


def _upload_received(
    request: HttpRequest, auth: AuthenticatedToken, handler: HashingUploadHandler
) -> HttpResponse:
    form, files = _read_form(request, handler)
    project = _check_permission(auth, form, request)
    content = _received_file(files, handler, form, project)

    filename = content.raw_name
    filenames.validate_filename_characters(filename)
    filenames.validate_extension(filename, form.filetype)
    if (content.content_type or "").startswith("image/"):
        raise UploadRejected(_("Invalid distribution file."))
    _check_digests(form, content)

    digests = content.digests
    if services.find_existing_file(filename, digests.sha256, digests.blake2_256) is not None:
        return HttpResponse(status=200)  # an exact repeat changes nothing

    inspected = inspect_distribution(content.temporary_file_path(), filename, form.filetype)
    meta = metadata.parse_metadata(inspected.metadata)
    metadata.check_form_agrees(meta, form.name, form.version)
    check_license_files(inspected, meta.license_files or [], filename)
    description_html = metadata.rendered_description(meta)
    if form.filetype == PackageType.WHEEL:
        filenames.validate_wheel_filename(filename, normalize_name(meta.name), str(meta.version))
        metadata_bytes = inspected.metadata
    else:
        filenames.validate_sdist_filename(filename, normalize_name(meta.name), str(meta.version))
        metadata_bytes = None

    dist = services.Distribution(
        filename=filename,
        packagetype=form.filetype,
        python_version=form.pyversion,
        size=content.size,
        md5_digest=digests.md5,
        sha256_digest=digests.sha256,
        blake2_256_digest=digests.blake2_256,
        local_path=content.temporary_file_path(),
        project_name=meta.name,
        version=str(meta.version),
        release_fields=metadata.release_fields(meta, description_html),
        requires_python=str(meta.requires_python or ""),
        comment_text=form.comment,
        metadata_bytes=metadata_bytes,
    )
    uploader = services.Uploader(
        user=auth.user,
        token=auth.token,
        credential=token_credential(auth.token),
        request=request,
        user_agent=request.headers.get("User-Agent", ""),
    )
    # The token's use is recorded with the upload, in its transaction (one commit).
    services.add_distribution(dist, uploader, also=lambda: record_token_use(auth.token))
    return HttpResponse(status=200)

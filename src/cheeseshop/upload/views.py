from django.http import HttpResponse


def legacy_upload(request):
    return HttpResponse(status=501)

from django.http import HttpResponse, JsonResponse

POSTS = {
    (2021, "hello-world"): "First post",
    (2022, "django-upgrade"): "Moving to a newer Django",
}


def index(request):
    return JsonResponse({"posts": ["%d/%s" % key for key in sorted(POSTS)]})


def detail(request, year, slug):
    title = POSTS.get((int(year), slug))
    if title is None:
        return HttpResponse("no such post", status=404)
    return HttpResponse(title)


def rss(request):
    return HttpResponse("<rss/>", content_type="application/rss+xml")

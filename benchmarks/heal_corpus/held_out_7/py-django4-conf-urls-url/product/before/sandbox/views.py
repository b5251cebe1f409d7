"""Views of the sandbox: a demo consumer page and two LTI launch URLs."""
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from lti_toolbox.views import BaseLTIView


def demo_consumer(request):
    """A page listing the launch URLs a consumer can post to."""
    items = "".join(
        '<li><a href="%s">%s</a></li>' % (reverse(name), name)
        for name in ("lti.launch-url-verification", "lti.launch-url-auth")
    )
    return HttpResponse("<h1>Demo LTI consumer</h1><ul>%s</ul>" % items)


class SimpleLaunchURLVerification(BaseLTIView):
    """Answers 200 to a correctly signed launch request."""

    def _do_on_success(self, request, params, *args, **kwargs):
        return HttpResponse("launch request verified for %s" % params.get("user_id", "anonymous"))


class LaunchURLWithAuth(BaseLTIView):
    """Opens a session for the launching user of a course."""

    def _do_on_success(self, request, params, *args, **kwargs):
        request.session["lti_user"] = params.get("user_id")
        return JsonResponse({"user": params.get("user_id"), "course": kwargs.get("uuid")})

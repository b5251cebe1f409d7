"""Base views for LTI launch URLs."""
from django.conf import settings
from django.http import HttpResponseForbidden
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from lti_toolbox.signature import verify


@method_decorator(csrf_exempt, name="dispatch")
class BaseLTIView(View):
    """Checks the launch request's signature, then calls _do_on_success."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        params = request.POST.dict()
        if not verify("POST", request.build_absolute_uri(), params, settings.LTI_CONSUMERS):
            return HttpResponseForbidden("invalid LTI launch request")
        return self._do_on_success(request, params, *args, **kwargs)

    def _do_on_success(self, request, params, *args, **kwargs):
        raise NotImplementedError

from django.http import HttpResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

PRODUCTS = {1: b"Tea pot", 2: b"Mug"}

OUT_OF_STOCK = _("Sorry, this product is out of stock.")


def product(request, pk):
    name = PRODUCTS.get(int(pk))
    if name is None:
        return HttpResponse(force_str(OUT_OF_STOCK), status=404)
    return HttpResponse(_("Product: %(name)s") % {"name": force_str(name)})

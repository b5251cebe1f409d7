from django.urls import re_path

from shop import views

urlpatterns = [
    re_path(r"^products/(?P<pk>\d+)/$", views.product, name="product"),
]

from django.conf.urls import url

from shop import views

urlpatterns = [
    url(r"^products/(?P<pk>\d+)/$", views.product, name="product"),
]

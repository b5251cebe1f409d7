from django.conf.urls import include, url

from blog import views

urlpatterns = [
    url(r"^$", views.index, name="index"),
    url(r"^(?P<year>[0-9]{4})/(?P<slug>[-\w]+)/$", views.detail, name="detail"),
    url(r"^feeds/", include("blog.feeds")),
]

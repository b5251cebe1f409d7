from django.urls import include, re_path

from blog import views

urlpatterns = [
    re_path(r"^$", views.index, name="index"),
    re_path(r"^(?P<year>[0-9]{4})/(?P<slug>[-\w]+)/$", views.detail, name="detail"),
    re_path(r"^feeds/", include("blog.feeds")),
]

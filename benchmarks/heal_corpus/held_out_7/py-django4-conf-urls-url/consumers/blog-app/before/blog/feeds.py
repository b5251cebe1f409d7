from django.conf.urls import url

from blog import views

urlpatterns = [
    url(r"^rss/$", views.rss, name="rss"),
]

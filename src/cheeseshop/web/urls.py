from django.urls import path

from cheeseshop.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("project/<str:name>/", views.project_detail, name="project"),
    path("project/<str:name>/<str:version>/", views.release_detail, name="release"),
    path("user/<str:username>/", views.user_profile, name="user"),
]

from .pages import PAGES

# The pages a person works in (APIs and the admin stay on the home page only).
NAV = [(url, label) for url, label in PAGES if not url.startswith(("/api/", "/admin/"))]


def navigation(request):
    return {"nav_pages": NAV}

"""CSRF tokens in their own cookie, and pages that show one are never shared."""

from pyramid.csrf import CookieCSRFStoragePolicy

from kairan.pagecache.middleware import mark_uncacheable


class VisitorCSRFStoragePolicy(CookieCSRFStoragePolicy):
    """Pyramid's cookie policy, plus: a page that used a token is the visitor's own,
    so the page cache must not hand it to anybody else."""

    def new_csrf_token(self, request):
        mark_uncacheable(request)
        return super().new_csrf_token(request)

    def get_csrf_token(self, request):
        mark_uncacheable(request)
        return super().get_csrf_token(request)

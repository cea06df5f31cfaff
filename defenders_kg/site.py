"""The static site, now ``defenders_kg.web.site``; these names are kept for code importing them."""

from .web.htaccess import htaccess
from .web.site import DEFAULT_BASE_URL, MARKER, SITE_FORMATS, SiteReport, build_site, targets

__all__ = ["DEFAULT_BASE_URL", "MARKER", "SITE_FORMATS", "SiteReport", "build_site", "htaccess",
           "targets"]  # fmt: skip

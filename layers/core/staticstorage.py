"""Static files as production serves them: hashed names (so whitenoise sends them with a
year-long immutable Cache-Control) and gzip-compressed copies (brotli too when the package is
installed). Source-map comments are left alone: the vendored npm builds name maps they do not
ship, which the stock manifest storage refuses at collectstatic."""
from django.contrib.staticfiles.storage import HashedFilesMixin
from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    out = []
    for glob, rules in patterns:
        kept = tuple(r for r in rules if "sourceMappingURL" not in (r if isinstance(r, str) else r[0]))
        if kept:
            out.append((glob, kept))
    return tuple(out)


class StaticStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(HashedFilesMixin.patterns)
    # A name missing from the manifest (a file added after collectstatic) falls back to its
    # plain name instead of a server error.
    manifest_strict = False

    def stored_name(self, name):
        # Without collectstatic (or for a file added after it) the hashed name cannot be made from
        # STATIC_ROOT: serve the plain name rather than fail the whole page with a 500.
        try:
            return super().stored_name(name)
        except ValueError:
            return name

"""Authentication for machine clients (GDAL, QGIS, city systems).

GDAL and QGIS send credentials only after a 401 that carries a `WWW-Authenticate` challenge;
DRF answers 401 (not 403) when the first authentication class names a challenge. The OGC,
tile and Open311 views share this list, so folding in the personal API tokens means changing
it here only."""
from rest_framework.authentication import BasicAuthentication, SessionAuthentication

REALM = "geogrid"


class ChallengeBasicAuthentication(BasicAuthentication):
    """HTTP basic with the geogrid realm; the challenge also offers Bearer."""
    www_authenticate_realm = REALM

    def authenticate_header(self, request):
        return f'Basic realm="{REALM}", Bearer realm="{REALM}"'


CLIENT_AUTHENTICATION = [ChallengeBasicAuthentication, SessionAuthentication]


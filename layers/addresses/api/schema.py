"""/api/locate/ in the OpenAPI schema. The view is plain Django on purpose (DRF's layers cost
more than the lookup, see views.py), so drf-spectacular cannot see it: this hook adds its
parameters and its batch body to the generated document, so clients and schema-driven tests
reach it like every other route."""
from django.conf import settings


def add_locate(result, generator, request, public):
    number = {"type": "number", "format": "double"}
    result.setdefault("paths", {})["/api/locate/"] = {
        "get": {
            "operationId": "locate_point",
            "summary": "The micro-grid holding a point, or addresses matching a text",
            "tags": ["locate"],
            "parameters": [
                {"name": "lon", "in": "query", "schema": number},
                {"name": "lat", "in": "query", "schema": number},
                {"name": "crs", "in": "query", "schema": {"type": "string",
                                                          "enum": ["wgs84", "cgcs2000", "gcj02", "bd09"]}},
                {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "address", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {"200": {"description": "the grid and its chain"}, "400": {"description": "bad input"},
                          "404": {"description": "in no micro-grid"}},
        },
        "post": {
            "operationId": "locate_batch",
            "summary": f"Locate up to {settings.GEOGRID_MAX_BATCH} points",
            "tags": ["locate"],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["points"],
                "properties": {"crs": {"type": "string"}, "date": {"type": "string", "format": "date"},
                               "points": {"type": "array", "maxItems": settings.GEOGRID_MAX_BATCH,
                                          "items": {"type": "array", "items": number, "minItems": 2,
                                                    "maxItems": 2}}}}}}},
            "responses": {"200": {"description": "one result per point (null in no grid)"},
                          "400": {"description": "bad input"}},
        },
    }
    return result

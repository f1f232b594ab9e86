"""The API schema's shape (drf-spectacular)."""
from drf_spectacular.openapi import AutoSchema as _AutoSchema


class AutoSchema(_AutoSchema):
    """Plain APIViews answer GET on a collection and on one item; spectacular names both
    "<x>_retrieve". A GET whose path does not end in a parameter is the collection: "<x>_list"."""

    def get_operation_id(self):
        op = super().get_operation_id()
        if self.method == "GET" and op.endswith("_retrieve") and not self.path.rstrip("/").endswith("}"):
            op = op[: -len("_retrieve")] + "_list"
        return op

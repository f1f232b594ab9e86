from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AddressesConfig(AppConfig):
    name = "layers.addresses"
    label = "addresses"
    verbose_name = _("Addresses")

    def ready(self):
        from layers.grids.hooks import on_boundaries_changed

        from .services import addresses_reassign_for_grids

        # Grid services call it inside their transaction with the changed area (old ∪ new
        # boundary): only the addresses there are re-placed, not the whole city.
        on_boundaries_changed(addresses_reassign_for_grids, stage="addresses")

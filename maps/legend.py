"""A map legend drawn as a Leaflet control from plain HTML.

branca's colormap legend loads d3 from a CDN inside render(); this one needs nothing but
Leaflet, so pages stay offline."""

from __future__ import annotations

from branca.element import MacroElement
from django.utils.html import escape
from jinja2 import Template

LEGEND_CSS = """
.geogrid-legend { background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px/1.4 "Noto Sans CJK SC", sans-serif; max-width: 260px; }
.geogrid-legend h4 { margin: 0 0 4px; font-size: 13px; }
.geogrid-legend i { display: inline-block; width: 16px; height: 12px; margin-right: 6px;
  vertical-align: middle; border: 1px solid #777; }
.geogrid-legend i.dot { border-radius: 50%; width: 11px; height: 11px; }
.geogrid-legend.hidden { display: none; }
"""


class Legend(MacroElement):
    """A titled list of colour swatches; `group` ties it to a base layer of the same name."""

    _template = Template("""
{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
{{ this.get_name() }}.onAdd = function () {
    var div = L.DomUtil.create("div", "geogrid-legend{{ ' hidden' if this.hidden else '' }}");
    div.setAttribute("data-group", {{ this.group|tojson }});
    div.innerHTML = {{ this.body|tojson }};
    L.DomEvent.disableClickPropagation(div);
    return div;
};
{{ this.get_name() }}.addTo({{ this._parent.get_name() }});
{% endmacro %}
""")

    def __init__(self, title: str, items: list[tuple[str, str]], *, position: str = "bottomright",
                 group: str = "", hidden: bool = False, dots: bool = False):
        super().__init__()
        self._name = "Legend"
        self.css = LEGEND_CSS
        self.position = position
        self.group = group
        self.hidden = hidden
        cls = ' class="dot"' if dots else ""
        rows = "".join(f'<div><i{cls} style="background:{escape(c)}"></i>{escape(label)}</div>'
                       for c, label in items)
        self.body = f"<h4>{escape(title)}</h4>{rows}"


class LegendSwitch(MacroElement):
    """Show only the legend whose group matches the chosen base layer (the level switch)."""

    _template = Template("""
{% macro script(this, kwargs) %}
{{ this._parent.get_name() }}.on("baselayerchange", function (e) {
    document.querySelectorAll("#{{ this._parent.get_name() }} .geogrid-legend[data-group]").forEach(function (d) {
        if (d.getAttribute("data-group")) { d.classList.toggle("hidden", d.getAttribute("data-group") !== e.name); }
    });
});
{% endmacro %}
""")

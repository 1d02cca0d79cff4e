"""What a scheduled plan becomes: the interactive phase map, the comparison map, exports, the atlas and diffs.

The only package that imports folium (``phase_map``) or matplotlib (``atlas``); ``style`` holds every palette and
the attribution; ``encode`` packs geometry for the map; ``static/`` the map's own script and style.  Modules here
are imported one by one, so exporting never loads folium and mapping never loads matplotlib.
"""

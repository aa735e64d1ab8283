"""Open311 GeoReport v2: other systems' requests as tickets of the channel `open311`."""

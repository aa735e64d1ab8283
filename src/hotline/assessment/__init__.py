"""Assessment (考核) of handling units: indicators computed from ticket history, presets of weights,
exemptions, and the per-unit-per-day fact table kept current from the event stream."""

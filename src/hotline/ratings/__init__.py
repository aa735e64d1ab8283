"""好差评: the public's own rating of a finished ticket as a service-efficiency figure, and the
follow-up (核实) of each bad rating. Not an assessment input (docs/assessment.md)."""
